import Foundation
import OGBasics

/// A real OpenSSH server for one test: `/usr/sbin/sshd -D -e -f <private config>`
/// on 127.0.0.1:<free port>, with its own host key, authorized_keys and work
/// directory in a private temporary directory, logging in as `SSHTestUser`.
///
/// Reuse it for end-to-end tests: `let ssh = try SSHServerFixture.start()`,
/// then connect to `ssh.host`:`ssh.port` as `ssh.user` with `ssh.password` or
/// `ssh.clientKeyPath`, and verify the server with `ssh.hostKeyFingerprint`
/// or `ssh.knownHostsLine`. The server stops when the value is released.
public final class SSHServerFixture: @unchecked Sendable {
    // Mutable state (`server`, host key fields) changes only in `start` and
    // `rotateHostKey`, which tests call from the one thread that owns the fixture.

    /// Which authentication methods the server offers.
    public struct Options: Sendable {
        public var passwordAuthentication = true
        /// Needs PAM (`UsePAM yes`); OpenSSH has no other keyboard-interactive backend on Linux.
        public var keyboardInteractiveAuthentication = false
        public var publicKeyAuthentication = true
        /// sshd_config lines added at the end, e.g. `KexAlgorithms diffie-hellman-group14-sha1` for a legacy device.
        public var extraConfiguration: [String] = []
        /// Log in as `SSHTestUser.ensurePasswordSudo()` (sudo wants its password) instead of `ogtest`.
        public var passwordSudoAccount = false
        /// The `Subsystem sftp` command, e.g. `internal-sftp -P posix-rename` to refuse one request.
        public var sftpSubsystem = "internal-sftp"
        public init(passwordAuthentication: Bool = true, keyboardInteractiveAuthentication: Bool = false,
                    publicKeyAuthentication: Bool = true, extraConfiguration: [String] = [], passwordSudoAccount: Bool = false,
                    sftpSubsystem: String = "internal-sftp") {
            self.extraConfiguration = extraConfiguration
            self.sftpSubsystem = sftpSubsystem
            self.passwordSudoAccount = passwordSudoAccount
            self.passwordAuthentication = passwordAuthentication
            self.keyboardInteractiveAuthentication = keyboardInteractiveAuthentication
            self.publicKeyAuthentication = publicKeyAuthentication
        }
    }

    /// A client key pair the server accepts.
    public struct ClientKey: Sendable {
        public let privateKeyPath: String
        public let publicKeyPath: String
        public let passphrase: String?
    }

    public enum KeyType: String, Sendable { case ed25519, rsa, ecdsa }
    public enum KeyFormat: Sendable {
        /// `-----BEGIN OPENSSH PRIVATE KEY-----`
        case openSSH
        /// `-----BEGIN RSA/EC PRIVATE KEY-----` (ssh-keygen `-m PEM`)
        case pem
    }

    public let host = "127.0.0.1"
    public let port: UInt16
    public let user: String
    public let password: String
    public let options: Options
    /// Private directory holding configuration, keys and the log.
    public let directory: TemporaryDirectory
    /// A directory owned by `user` where tests may create files remotely.
    public let workDirectory: String
    /// An unencrypted Ed25519 key the server accepts.
    public let clientKeyPath: String
    public private(set) var hostKeyPath: String
    /// `SHA256:<base64>`, as `ssh-keygen -l` prints it.
    public private(set) var hostKeyFingerprint: String
    /// `[127.0.0.1]:<port> <type> <base64>`, ready for a known_hosts file.
    public private(set) var knownHostsLine: String
    public var logPath: String { directory.file("sshd.log") }
    public var sshdProcessID: Int32 { server?.processID ?? -1 }

    private var server: SpawnedDaemon?
    private var hostKeyGeneration = 0

    /// Starts sshd and waits until it accepts connections. Fails naming the
    /// Debian package when OpenSSH is missing.
    public static func start(_ options: Options = Options()) throws -> SSHServerFixture {
        try SSHServerFixture(options: options)
    }

    private init(options: Options) throws {
        for (tool, package) in [("/usr/sbin/sshd", "openssh-server"), ("/usr/bin/ssh-keygen", "openssh-client")]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            throw SSHFixtureError.setup("\(tool) is missing: install the Debian package \(package)")
        }
        let account = options.passwordSudoAccount ? try SSHTestUser.ensurePasswordSudo() : try SSHTestUser.ensure()
        self.options = options
        user = account.name
        password = account.password
        directory = try TemporaryDirectory("og-sshd")
        // sshd reads authorized_keys as the logged-in user, so the user must be able to reach it.
        chmod(directory.path, 0o755)
        workDirectory = directory.file("work")
        mkdir(workDirectory, 0o755)
        chown(workDirectory, account.uid, account.gid)
        mkdir("/run/sshd", 0o755)

        clientKeyPath = directory.file("client_ed25519")
        try Self.keygen(["-t", "ed25519", "-N", "", "-C", "og-test-client", "-f", clientKeyPath])
        _ = FileManager.default.createFile(atPath: directory.file("authorized_keys"), contents: nil)
        chmod(directory.file("authorized_keys"), 0o644)
        hostKeyPath = ""
        hostKeyFingerprint = ""
        knownHostsLine = ""
        port = Loopback.freePort()
        try authorize(publicKeyPath: clientKeyPath + ".pub")
        try makeHostKey()
        try launch()
    }

    /// Generates a client key of the given type and format, authorizes it, and returns it.
    public func makeClientKey(_ type: KeyType, format: KeyFormat = .openSSH, passphrase: String? = nil) throws -> ClientKey {
        let path = directory.file("client_\(type.rawValue)_\(UUID().uuidString.prefix(8))")
        var arguments = ["-t", type.rawValue, "-N", passphrase ?? "", "-C", "og-test", "-f", path]
        if type == .rsa { arguments += ["-b", "2048"] }
        if format == .pem { arguments += ["-m", "PEM"] }
        try Self.keygen(arguments)
        try authorize(publicKeyPath: path + ".pub")
        return ClientKey(privateKeyPath: path, publicKeyPath: path + ".pub", passphrase: passphrase)
    }

    /// Restarts the server on the same port with a freshly generated host key,
    /// as if the machine had been reinstalled (or impersonated).
    public func rotateHostKey() throws {
        stop()
        try makeHostKey()
        try launch()
    }

    /// Kills every process serving a client connection (not the listener),
    /// cutting the connections mid-operation the way a crash or a network
    /// failure would.
    public func killSessions() {
        let listener = sshdProcessID
        guard listener > 0 else { return }
        // Sessions are children of the listener, which reaps them.
        for pid in Self.descendants(of: listener) { kill(pid, SIGKILL) }
    }

    /// Stops the sessions and the listener; idempotent.
    public func stop() {
        killSessions()
        server?.stop()
        server = nil
    }

    deinit { stop() }

    // MARK: - Setup

    /// Adds a public key to the server's authorized_keys.
    public func authorize(publicKeyPath: String) throws {
        let key = try LocalFiles.read(publicKeyPath)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: directory.file("authorized_keys")))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(key))
    }

    private func makeHostKey() throws {
        hostKeyGeneration += 1
        let path = directory.file("ssh_host_ed25519_key_\(hostKeyGeneration)")
        try Self.keygen(["-t", "ed25519", "-N", "", "-C", "og-test-host", "-f", path])
        let listing = try ProcessRunner.run("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", path + ".pub"])
        let fields = listing.standardOutputText.split(separator: " ")
        guard listing.exitStatus == 0, fields.count >= 2 else {
            throw SSHFixtureError.setup("ssh-keygen -l failed: \(listing.standardErrorText)")
        }
        let publicKey = String(decoding: try LocalFiles.read(path + ".pub"), as: UTF8.self).split(separator: " ")
        hostKeyPath = path
        hostKeyFingerprint = String(fields[1])
        knownHostsLine = "[\(host)]:\(port) \(publicKey[0]) \(publicKey[1])"
    }

    private func launch() throws {
        let usePAM = options.keyboardInteractiveAuthentication
        let configuration = """
            Port \(port)
            ListenAddress \(host)
            HostKey \(hostKeyPath)
            PidFile none
            AuthorizedKeysFile \(directory.file("authorized_keys"))
            StrictModes no
            UsePAM \(usePAM ? "yes" : "no")
            PasswordAuthentication \(options.passwordAuthentication ? "yes" : "no")
            KbdInteractiveAuthentication \(options.keyboardInteractiveAuthentication ? "yes" : "no")
            PubkeyAuthentication \(options.publicKeyAuthentication ? "yes" : "no")
            PermitRootLogin no
            AllowUsers \(user)
            Subsystem sftp \(options.sftpSubsystem)
            LogLevel VERBOSE
            MaxStartups 100
            MaxSessions 100
            \(options.extraConfiguration.joined(separator: "\n"))

            """
        let configPath = directory.file("sshd_config")
        try LocalFiles.writeAtomically(configPath, contents: Array(configuration.utf8), mode: 0o600)
        server = try SpawnedDaemon("/usr/sbin/sshd", ["-D", "-e", "-f", configPath], port: port, logPath: logPath)
    }

    private static func keygen(_ arguments: [String]) throws {
        let result = try ProcessRunner.run("/usr/bin/ssh-keygen", ["-q"] + arguments)
        guard result.exitStatus == 0 else {
            throw SSHFixtureError.setup("ssh-keygen \(arguments.first ?? "") failed: \(result.standardErrorText)")
        }
    }

    /// Every process below `root` in the process tree, read from /proc.
    private static func descendants(of root: Int32) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after "(comm)": state, ppid, ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { children[parent, default: []].append(pid) }
        }
        var result: [Int32] = [], queue = children[root] ?? []
        while let next = queue.popLast() {
            result.append(next)
            queue += children[next] ?? []
        }
        return result
    }
}
