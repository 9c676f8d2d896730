import Foundation
import OGBasics

/// The unprivileged account `ogtest` that tests log in as over SSH.
///
/// Tests run as root, and sshd refuses root password logins by default, so a
/// dedicated account is created once per machine. Its password is random, is
/// set through `chpasswd` on standard input (never argv), and is kept in a
/// root-only file under the temporary directory so later test processes reuse
/// it. Creating this account and `ogsudopw` (and `/etc/sudoers.d/og-test`, see
/// `grantPasswordlessSudo`, and `og-test-password`, see `ensurePasswordSudo`) are the only changes tests make under /etc.
public struct SSHTestUser: Sendable {
    public static let name = "ogtest"

    public let name: String
    public let password: String
    public let uid: UInt32
    public let gid: UInt32
    public let home: String

    /// Creates the account if missing and returns it; safe to call from many
    /// tests and processes at once.
    public static func ensure() throws -> SSHTestUser {
        try cached.get()
    }

    /// Writes `/etc/sudoers.d/og-test` letting `ogtest` run any command as
    /// root without a password, for tests of `sudo -n`. Idempotent.
    public static func grantPasswordlessSudo() throws {
        try sudoRule.get()
    }

    /// A second account, `ogsudopw`, whose sudoers rule (`/etc/sudoers.d/og-test-password`) wants
    /// its password on every sudo: no NOPASSWD, no cached timestamp. For tests of `--sudo password`.
    public static func ensurePasswordSudo() throws -> SSHTestUser {
        try passwordSudoCached.get()
    }

    public static let passwordSudoName = "ogsudopw"

    private static let cached: Result<SSHTestUser, Error> = Result {
        try withMachineLock { try createOrRefresh(name: name, passwordFile: "password") }
    }
    private static let passwordSudoCached: Result<SSHTestUser, Error> = Result {
        try withMachineLock {
            let account = try createOrRefresh(name: passwordSudoName, passwordFile: "password-sudo")
            try writeRule(path: "/etc/sudoers.d/og-test-password", rule: """
                # Written by og-host's tests: \(passwordSudoName) must give its password to sudo, every time.
                Defaults:\(passwordSudoName) timestamp_timeout=0, !lecture
                \(passwordSudoName) ALL=(root) ALL

                """)
            return account
        }
    }
    private static let sudoRule: Result<Void, Error> = Result { try withMachineLock { try writeSudoRule() } }

    private static var stateDirectory: String { "\(NSTemporaryDirectory())/og-ssh-test-user" }

    private static func withMachineLock<T>(_ body: () throws -> T) throws -> T {
        let directory = stateDirectory
        mkdir(directory, 0o700)
        let fd = open("\(directory)/lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SSHFixtureError.setup("cannot open \(directory)/lock: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw SSHFixtureError.setup("cannot lock \(directory)/lock") }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    private static func createOrRefresh(name: String, passwordFile passwordFileName: String) throws -> SSHTestUser {
        guard geteuid() == 0 else {
            throw SSHFixtureError.setup("SSH tests create the account \(name) and must run as root (they do in .ci/run)")
        }
        if getpwnam(name) == nil {
            let made = try ProcessRunner.run("/usr/sbin/useradd", ["--create-home", "--shell", "/bin/sh", name])
            guard made.exitStatus == 0 || getpwnam(name) != nil else {
                throw SSHFixtureError.setup("useradd \(name) failed: \(made.standardErrorText)")
            }
        }
        guard let entry = getpwnam(name) else { throw SSHFixtureError.setup("account \(name) missing after useradd") }
        let uid = entry.pointee.pw_uid, gid = entry.pointee.pw_gid
        let home = String(cString: entry.pointee.pw_dir)
        if !FileManager.default.fileExists(atPath: home) {
            // The hostile-name tests look for marker files in the account's home.
            mkdir(home, 0o755)
            chown(home, uid, gid)
        }

        let passwordFile = "\(stateDirectory)/\(passwordFileName)"
        if let stored = try? LocalFiles.read(passwordFile), !stored.isEmpty {
            return SSHTestUser(name: name, password: String(decoding: stored, as: UTF8.self),
                               uid: uid, gid: gid, home: home)
        }
        let password = "og-" + (0..<24).map { _ in String("abcdefghijkmnpqrstuvwxyz23456789".randomElement()!) }.joined()
        let changed = try ProcessRunner.run("/usr/sbin/chpasswd", [], standardInput: Array("\(name):\(password)\n".utf8))
        guard changed.exitStatus == 0 else { throw SSHFixtureError.setup("chpasswd failed: \(changed.standardErrorText)") }
        try LocalFiles.writeAtomically(passwordFile, contents: Array(password.utf8), mode: 0o600)
        return SSHTestUser(name: name, password: password, uid: uid, gid: gid, home: home)
    }

    private static func writeSudoRule() throws {
        try writeRule(path: "/etc/sudoers.d/og-test",
                      rule: "# Written by og-host's tests: lets the test account use sudo -n.\n\(name) ALL=(root) NOPASSWD: ALL\n")
    }

    private static func writeRule(path: String, rule text: String) throws {
        let rule = Array(text.utf8)
        if (try? LocalFiles.read(path)) == rule { return }
        guard FileManager.default.fileExists(atPath: "/usr/bin/sudo") else {
            throw SSHFixtureError.setup("sudo is missing: install the Debian package sudo")
        }
        try LocalFiles.writeAtomically(path, contents: rule, mode: 0o440)
        let check = try ProcessRunner.run("/usr/sbin/visudo", ["-c", "-f", path])
        guard check.exitStatus == 0 else {
            unlink(path)
            throw SSHFixtureError.setup("visudo rejected \(path): \(check.standardOutputText)\(check.standardErrorText)")
        }
    }
}

/// Why a test fixture could not be prepared.
public enum SSHFixtureError: Error, CustomStringConvertible {
    case setup(String)
    public var description: String {
        switch self {
        case .setup(let message): return "SSH test fixture: \(message)"
        }
    }
}
