import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `--sudo password` against a real sudo that wants the password on every
/// call (`ogsudopw`: no NOPASSWD, `timestamp_timeout=0`): a key login
/// installs on a root-owned nginx over SSH, the sudo password travels on
/// standard input only, and a wrong one is refused before any file content
/// follows it.
@Suite struct SudoPasswordTests {
    @Test func passwordSudoInstallsOnRootOwnedNginxWithThePasswordOnStandardInputOnly() throws {
        let sshd = try SSHServerFixture.start(.init(passwordSudoAccount: true))
        let account = try SSHTestUser.ensurePasswordSudo()
        // The rule really wants a password: sudo -n is refused for this account.
        let noPassword = try ProcessRunner.run("/usr/sbin/runuser", ["-u", account.name, "--", "sudo", "-n", "true"])
        try #require(noPassword.exitStatus != 0, "sudoers lets \(account.name) run sudo without a password")

        let fixture = try GatewayFixture(plugins: ["nginx"])
        let pki = try TestPKI()
        let nginx = try NginxTestInstance(pki: pki)
        try nginx.start()
        let before = try nginx.configurationSnapshot()
        let login = ["--connection_type", "ssh", "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                     "--ssh_key_path", sshd.clientKeyPath, "--host_key_fingerprint", sshd.hostKeyFingerprint,
                     "--sudo", "password", "--password", "-"]

        // A wrong sudo password: refused at add as an authentication failure that names sudo; nothing stored.
        let wrong = "wrong-\(UInt32.random(in: 100_000...999_999))"
        let refused = try fixture.run(["tls", "add", "nginx", "--name", "wrong"] + login + nginx.instanceOptions(),
                                      standardInput: Array("\(wrong)\n".utf8))
        #expect(refused.exitStatus == 5, "\(refused.standardOutputText)\(refused.standardErrorText)")
        #expect(refused.standardErrorText.contains("sudo"), "\(refused.standardErrorText)")
        #expect(!(try fixture.run(["tls", "list"]).standardOutputText.contains("wrong")))

        let added = try fixture.run(["tls", "add", "nginx", "--name", "fleet"] + login + nginx.instanceOptions(),
                                    standardInput: Array("\(sshd.password)\n".utf8))
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        let nodes = try fixture.run(["tls", "nodes", "fleet", "--output", "json"])
        #expect(nodes.standardOutputText.contains("beta.example.test:\(nginx.tlsPort)"), "\(nodes.standardErrorText)")

        // While the install runs, every process's argv is watched for the password.
        let leaf = try pki.issue("beta-sudo-password", dnsNames: ["beta.example.test"])
        let watcher = ArgvWatcher(secret: sshd.password)
        watcher.start()
        let install = try fixture.run(["tls", "install", "fleet", "--cert", leaf.certificate, "--key", leaf.key,
                                       "--chain", pki.chain])
        let sightings = watcher.stop()
        #expect(install.exitStatus == 0, "\(install.standardErrorText)\(install.standardOutputText)")
        #expect(sightings.isEmpty, "the sudo password appeared in the argv of: \(sightings)")
        #expect(watcher.scans > 10, "the watcher looked (\(watcher.scans) scans)")
        #expect(try nginx.servedFingerprint("beta.example.test") == (try pki.fingerprint(leaf.certificate)))

        var info = stat()
        let key = nginx.directory.file("og-beta.example.test_\(nginx.tlsPort).key")
        #expect(lstat(key, &info) == 0 && info.st_uid == 0 && info.st_mode & 0o7777 == 0o600, "the new key is root's, 0600")
        for (relative, _) in before {
            #expect(lstat(nginx.directory.file(relative), &info) == 0 && info.st_uid == 0, "\(relative) still belongs to root")
        }
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: nginx.path)
            .filter { $0.contains(".og-backup-") || $0.contains(".og-tmp-") }
        #expect(leftovers.isEmpty, "\(leftovers)")

        var everything = [refused.standardOutputText, refused.standardErrorText, added.standardOutputText,
                          added.standardErrorText, install.standardOutputText, install.standardErrorText,
                          try fixture.run(["audit"]).standardOutputText]
        for (_, bytes) in fixture.dataDirectoryContents() { everything.append(String(decoding: bytes, as: UTF8.self)) }
        for text in everything { #expect(!text.contains(sshd.password) && !text.contains(wrong), "a password leaked") }
    }
}

/// Scans /proc/*/cmdline in a loop until stopped and remembers every process
/// whose argv contained `secret`.
final class ArgvWatcher: @unchecked Sendable {
    private let secret: [UInt8]
    private let lock = Locked()
    private var running = false
    private var found: [String] = []
    private var count = 0
    private var thread: Thread?

    init(secret: String) { self.secret = Array(secret.utf8) }

    var scans: Int { lock.withLock { count } }

    func start() {
        lock.withLock { running = true }
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(entry) != nil {
                    guard let argv = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), !argv.isEmpty else { continue }
                    let bytes = Array(argv)
                    if bytes.count >= secret.count,
                       (0...(bytes.count - secret.count)).contains(where: { Array(bytes[$0..<$0 + secret.count]) == secret }) {
                        let shown = String(decoding: bytes.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
                        lock.withLock { found.append(shown.replacingOccurrences(of: String(decoding: secret, as: UTF8.self), with: "<password>")) }
                    }
                }
                lock.withLock { count += 1 }
            }
        }
        self.thread = thread
        thread.start()
    }

    func stop() -> [String] {
        lock.withLock { running = false }
        while !(thread?.isFinished ?? true) { usleep(1000) }
        return lock.withLock { found }
    }
}
