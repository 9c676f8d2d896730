import CSSH2
import Foundation
import OGBasics

/// An endpoint reached over SSH (libssh2): commands on exec channels, files
/// over SFTP, all on one session opened by the initialiser and kept until `close`.
///
/// The server's host key is verified before any credential is sent. Every
/// operation has a deadline (`operationTimeout` for file operations, the
/// caller's for commands). Operations are serialised: a libssh2 session is not
/// thread-safe, so each call waits for the one before it.
public final class SSHConnection: Connection, @unchecked Sendable {
    // `session` and `files` are touched only while `lock` is held.
    public let platform: Platform
    public let host: String
    public let port: Int
    public let user: String
    /// The host key fingerprint that was verified, `SHA256:<base64>`.
    public let hostKeyFingerprint: String

    private var session: SSHSession?
    private var files: SFTPFiles?
    private let operationTimeout: Duration
    private let elevation: ElevationChooser
    /// Set when the endpoint is configured to use sudo and the login is not
    /// root: privileged commands and every file operation then run as root.
    private let usesSudo: Bool
    private var sudoFiles: SudoFiles? {
        guard usesSudo else { return nil }
        return SudoFiles(runPrivileged: { [unowned self] argv, input in
            try self.runPrivilegedLocked(argv, standardInput: input, timeout: operationTimeout)
        }, user: user)
    }
    private let lock = Locked()
    /// Set when an operation failed with anything but "no such file": the connection is then not reused.
    private var sawFailure = false
    /// The pool this use was checked out of, and under which identity; nil = close at the end of the use.
    private var checkedOutOf: (pool: SSHConnectionPool, identity: SSHConnectionPool.Identity)?

    /// Connects, verifies the host key, and logs in. `platform` `.windows`
    /// runs commands through PowerShell (`ssh_windows`). With `sudo` (POSIX,
    /// not root), privileged commands and all file operations go through sudo,
    /// answered with `sudoPassword` when sudo asks for one; without it,
    /// privileged commands run as the login itself.
    public init(host: String, port: Int = 22, user: String, authentication: ConnectionAuthentication,
                hostKeyPolicy: HostKeyPolicy, hostKeyStore: HostKeyStore?, platform: Platform = .posix,
                sudo: Bool = false, sudoPassword: String? = nil, algorithms: SSHAlgorithms = .modernOnly,
                connectTimeout: Duration = .seconds(15),
                operationTimeout: Duration = .seconds(120), keepaliveInterval: Duration = .seconds(30)) throws {
        try hostKeyPolicy.validate()
        let session = try SSHSession(host: host, port: port, timeout: connectTimeout, keepaliveInterval: keepaliveInterval,
                                     algorithms: algorithms)
        hostKeyFingerprint = try HostKeyVerifier(policy: hostKeyPolicy, store: hostKeyStore).verify(session)
        try SSHAuthenticator(user: user, authentication: authentication)
            .authenticate(session, deadline: Deadline(connectTimeout, operation: "logging in to \(host):\(port) as \(user)"))
        self.session = session
        self.platform = platform
        self.host = host
        self.port = port
        self.user = user
        self.operationTimeout = operationTimeout
        elevation = ElevationChooser(sudoPassword: sudoPassword)
        usesSudo = sudo && platform == .posix && user != "root"
    }

    /// Opens the connection `spec` describes (type `ssh` or `ssh_windows`).
    public convenience init(spec: ConnectionSpec, hostKeyStore: HostKeyStore?) throws {
        try spec.validate()
        guard spec.type.isSSH else {
            throw ConnectionError.invalidArgument(field: "field `connection`", problem: "\(spec.type.rawValue) is not an SSH connection type")
        }
        try self.init(host: spec.host, port: spec.effectivePort ?? 22, user: spec.user, authentication: spec.authentication,
                      hostKeyPolicy: spec.hostKeyPolicy, hostKeyStore: hostKeyStore,
                      platform: spec.type == .sshWindows ? .windows : .posix, sudo: spec.sudo, sudoPassword: spec.sudoPassword,
                      algorithms: spec.sshAlgorithms,
                      connectTimeout: spec.connectTimeout, operationTimeout: spec.operationTimeout,
                      keepaliveInterval: spec.keepaliveInterval)
    }

    deinit { close() }

    // MARK: - Commands

    public func run(_ argv: [String], standardInput: [UInt8], timeout: Duration, privileged: Bool) throws -> CommandResult {
        try PathCheck.validate(argv: argv)
        return try withSession { session in
            // Windows accounts are elevated (or not) by how they log in; root needs no sudo; without
            // sudo configured, the login's own rights are all there is.
            guard privileged, usesSudo else {
                return try execute(argv, standardInput: standardInput, timeout: timeout, session: session)
            }
            return try runPrivileged(argv, standardInput: standardInput, timeout: timeout, session: session)
        }
    }

    /// Runs `argv` through sudo; the caller holds `lock`.
    private func runPrivileged(_ argv: [String], standardInput: [UInt8], timeout: Duration,
                               session: SSHSession) throws -> CommandResult {
        let chosen: PrivilegeElevation
        do {
            chosen = try elevation.elevation { argv, input in
                try execute(argv, standardInput: input, timeout: timeout, session: session, label: "sudo")
            }
        } catch let refused as PrivilegeElevation.Refused {
            throw ConnectionError.authenticationFailed(user: user, host: "\(host):\(port)", reason: refused.failure)
        }
        let wrapped = chosen.wrap(argv, standardInput: standardInput)
        let result = try execute(wrapped.argv, standardInput: wrapped.standardInput, timeout: timeout, session: session,
                                 label: argv[0] == "sh" ? "a file operation through sudo" : argv[0])
        if let refusal = PrivilegeElevation.refusal(in: result) {
            throw ConnectionError.authenticationFailed(user: user, host: "\(host):\(port)", reason: refusal)
        }
        return result
    }

    /// For `SudoFiles`, which is only called while `lock` is held.
    private func runPrivilegedLocked(_ argv: [String], standardInput: [UInt8], timeout: Duration) throws -> CommandResult {
        guard let session else {
            throw ConnectionError.couldNotConnect(host: host, port: port, reason: "the connection was closed; open a new one")
        }
        return try runPrivileged(argv, standardInput: standardInput, timeout: timeout, session: session)
    }

    private func execute(_ argv: [String], standardInput: [UInt8], timeout: Duration, session: SSHSession,
                         label: String? = nil) throws -> CommandResult {
        // On POSIX the command's exit, not the end of its output, ends the run (ExitMarker).
        let marker = platform == .posix ? ExitMarker.make() : nil
        let commandLine = platform == .posix
            ? ShellQuoting.posix.commandLine(ExitMarker.wrap(argv, marker: marker!))
            : PowerShellCommand.commandLine(argv, hasStandardInput: !standardInput.isEmpty)
        let execution = RemoteExecution(session: session, commandLine: commandLine, standardInput: standardInput,
                                        label: "\(label ?? argv[0]) on \(host):\(port)", exitMarker: marker)
        do {
            return try execution.run(timeout: timeout)
        } catch let refused as RemoteExecution.ChannelRefused {
            throw ConnectionError.notSupported(
                "\(user)@\(host):\(port): the server refuses to run commands (\(refused.message)); the account may be limited to SFTP")
        }
    }

    // MARK: - Files

    public func readFile(_ path: String) throws -> [UInt8] {
        try PathCheck.validate(path)
        if let sudoFiles { return try withSession { _ in try sudoFiles.read(path) } }
        return try withFiles { try $0.read(path) }
    }

    public func writeFileAtomically(_ path: String, contents: [UInt8], mode: UInt32?) throws {
        try PathCheck.validate(path)
        if let sudoFiles { return try withSession { _ in try sudoFiles.writeAtomically(path, contents: contents, mode: mode) } }
        try withFiles { files in
            try files.writeAtomically(path, contents: contents, mode: mode) { temporary, target in
                try replaceWithRename(temporary, target)
            }
        }
    }

    /// A hard link over SFTP where the server offers hardlink@openssh.com and
    /// allows it (POSIX endpoints without sudo: every write there renames a new
    /// file into place, so the linked old file is never changed); else a copy.
    public func backUp(_ path: String, to backup: String, contents: [UInt8], mode: UInt32) throws {
        try PathCheck.validate(path)
        try PathCheck.validate(backup)
        if platform == .posix, sudoFiles == nil, try withFiles({ try $0.link(path, as: backup) }) { return }
        try writeFileAtomically(backup, contents: contents, mode: mode)
    }

    public func stat(_ path: String) throws -> FileStatus {
        try PathCheck.validate(path)
        if let sudoFiles { return try withSession { _ in try sudoFiles.status(path) } }
        return try withFiles { try $0.status(path, follow: false) }
    }

    public func listDirectory(_ path: String) throws -> [String] {
        try PathCheck.validate(path)
        if let sudoFiles { return try withSession { _ in try sudoFiles.list(path) } }
        return try withFiles { try $0.list(path) }
    }

    public func makeDirectory(_ path: String, mode: UInt32) throws {
        try PathCheck.validate(path)
        if let sudoFiles { return try withSession { _ in try sudoFiles.makeDirectory(path, mode: mode) } }
        try withFiles { try $0.makeDirectory(path, mode: mode) }
    }

    public func remove(_ path: String) throws {
        try PathCheck.validate(path)
        if let sudoFiles { return try withSession { _ in try sudoFiles.remove(path) } }
        try withFiles { try $0.remove(path) }
    }

    public func close() {
        lock.withLock {
            checkedOutOf = nil
            files?.shutdown()
            files = nil
            session = nil
        }
    }

    // MARK: - Reuse (SSHConnectionPool)

    /// Ends one use of the connection: back to the pool it was checked out of
    /// (which keeps it only if it can be reused), otherwise closed.
    public func endUse() {
        let checkedOut = lock.withLock { () -> (pool: SSHConnectionPool, identity: SSHConnectionPool.Identity)? in
            defer { checkedOutOf = nil }
            return checkedOutOf
        }
        guard let checkedOut else { return close() }
        checkedOut.pool.giveBack(self, identity: checkedOut.identity)
    }

    var pool: (pool: SSHConnectionPool, identity: SSHConnectionPool.Identity)? {
        get { lock.withLock { checkedOutOf } }
        set { lock.withLock { checkedOutOf = newValue } }
    }

    /// Open, and no operation failed on it: safe to hand to another job of the same identity.
    var isReusable: Bool {
        lock.withLock { session != nil && session?.brokenReason == nil && !sawFailure }
    }

    /// Before a kept connection is handed out again: its host key must still satisfy
    /// the policy and pin store of the job taking it, and one SFTP round trip must
    /// succeed (a server that dropped the idle connection fails it).
    func proveReusable(hostKeyPolicy: HostKeyPolicy, hostKeyStore: HostKeyStore?) -> Bool {
        lock.withLock {
            guard let session, session.brokenReason == nil, !sawFailure else { return false }
            do {
                guard try HostKeyVerifier(policy: hostKeyPolicy, store: hostKeyStore).verify(session) == hostKeyFingerprint else {
                    return false
                }
                if files == nil {
                    files = try SFTPFiles(session: session, user: user, timeout: operationTimeout)
                }
                try files!.proveAlive(within: .seconds(10))
                return true
            } catch {
                sawFailure = true
                return false
            }
        }
    }

    // MARK: - Helpers

    /// SFTP (protocol version 3, all libssh2 1.10 speaks) cannot rename over an
    /// existing file, but rename(2) can. `SFTPFiles` uses OpenSSH's
    /// posix-rename extension where the server offers it; elsewhere, on POSIX
    /// endpoints, `mv` in the same directory is that atomic rename (slower: a
    /// command starts the login's shell). Returns false where no command can run.
    private func replaceWithRename(_ temporary: String, _ target: String) throws -> Bool {
        guard platform == .posix, let session else { return false }
        do {
            let result = try execute(["mv", "-f", "--", temporary, target], standardInput: [], timeout: operationTimeout,
                                     session: session)
            guard result.succeeded else {
                throw ConnectionError.io(path: target, reason: "could not be replaced: \(result.standardErrorText.trimmingTrailingWhitespace)")
            }
            return true
        } catch ConnectionError.notSupported {
            return false
        }
    }

    private func withSession<T>(_ body: (SSHSession) throws -> T) throws -> T {
        try lock.withLock {
            guard let session else {
                throw ConnectionError.couldNotConnect(host: host, port: port, reason: "the connection was closed; open a new one")
            }
            try session.checkUsable()
            session.keepalive()
            do {
                return try body(session)
            } catch {
                // A missing file is an answer; anything else may leave the session in a state the next job must not inherit.
                if case ConnectionError.notFound = error {} else { sawFailure = true }
                throw error
            }
        }
    }

    private func withFiles<T>(_ body: (SFTPFiles) throws -> T) throws -> T {
        try withSession { session in
            if files == nil {
                files = try SFTPFiles(session: session, user: user, timeout: operationTimeout)
            }
            return try body(files!)
        }
    }
}
