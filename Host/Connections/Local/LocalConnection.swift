import Foundation
import OGBasics

/// The gateway itself as an endpoint: commands through `ProcessRunner`, files
/// through `LocalFiles`. Privileged commands use `sudo` only when og-host does
/// not already run as root.
public final class LocalConnection: Connection, @unchecked Sendable {
    // The only mutable state is `isClosed`, guarded by `lock`; the elevation
    // chooser guards its own.
    public let platform = Platform.posix
    private let elevation: ElevationChooser
    private var isClosed = false
    private let lock = Locked()

    /// `sudoPassword` is used only when not running as root and sudo asks for one.
    public init(sudoPassword: String? = nil) {
        elevation = ElevationChooser(sudoPassword: sudoPassword)
    }

    public func run(_ argv: [String], standardInput: [UInt8], timeout: Duration, privileged: Bool) throws -> CommandResult {
        try checkOpen()
        try PathCheck.validate(argv: argv)
        guard privileged, geteuid() != 0 else {
            return try launch(argv, standardInput: standardInput, timeout: timeout)
        }
        let chosen: PrivilegeElevation
        do {
            chosen = try elevation.elevation { argv, input in try launch(argv, standardInput: input, timeout: timeout) }
        } catch let refused as PrivilegeElevation.Refused {
            throw ConnectionError.authenticationFailed(user: Self.currentUser, host: "localhost", reason: refused.failure)
        }
        let wrapped = chosen.wrap(argv, standardInput: standardInput)
        let result = try launch(wrapped.argv, standardInput: wrapped.standardInput, timeout: timeout)
        if let refusal = PrivilegeElevation.refusal(in: result) {
            throw ConnectionError.authenticationFailed(user: Self.currentUser, host: "localhost", reason: refusal)
        }
        return result
    }

    public func readFile(_ path: String) throws -> [UInt8] {
        try checkOpen()
        let status = try stat(path)
        switch status.type {
        case .missing: throw ConnectionError.notFound(path: path)
        case .directory: throw ConnectionError.io(path: path, reason: "is a directory, not a file")
        default: return try translating { try LocalFiles.read(path) }
        }
    }

    public func writeFileAtomically(_ path: String, contents: [UInt8], mode: UInt32?) throws {
        try checkOpen()
        try PathCheck.validate(path)
        if try stat(path).type == .directory {
            throw ConnectionError.io(path: path, reason: "is a directory; give the path of a file inside it")
        }
        try translating { try LocalFiles.writeAtomically(path, contents: contents, mode: mode_t(mode ?? 0o644)) }
    }

    public func stat(_ path: String) throws -> FileStatus {
        try checkOpen()
        try PathCheck.validate(path)
        var info = Glibc.stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return .missing }
            throw Self.errnoError(path, "cannot be examined")
        }
        return FileStatus(posixMode: info.st_mode, size: UInt64(info.st_size), modified: Int64(info.st_mtim.tv_sec),
                          uid: info.st_uid, gid: info.st_gid)
    }

    public func listDirectory(_ path: String) throws -> [String] {
        try checkOpen()
        switch try stat(path).type {
        case .missing: throw ConnectionError.notFound(path: path)
        case .directory: break
        default: throw ConnectionError.io(path: path, reason: "is not a directory")
        }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        } catch {
            throw ConnectionError.io(path: path, reason: "cannot be listed: \(error.localizedDescription)")
        }
    }

    public func makeDirectory(_ path: String, mode: UInt32) throws {
        try checkOpen()
        switch try stat(path).type {
        case .directory: return
        case .missing: try translating { try LocalFiles.makeDirectory(path, mode: mode_t(mode)) }
        default: throw ConnectionError.io(path: path, reason: "exists and is not a directory")
        }
    }

    public func remove(_ path: String) throws {
        try checkOpen()
        let status = try stat(path)
        let removed: Int32
        switch status.type {
        case .missing: throw ConnectionError.notFound(path: path)
        case .directory: removed = rmdir(path)
        default: removed = unlink(path)
        }
        guard removed == 0 else { throw Self.errnoError(path, "cannot be removed") }
    }

    public func close() {
        lock.withLock { isClosed = true }
    }

    // MARK: - Helpers

    private func launch(_ argv: [String], standardInput: [UInt8], timeout: Duration) throws -> CommandResult {
        let output: ProcessOutput
        do {
            output = try ProcessRunner.run(argv[0], Array(argv.dropFirst()), standardInput: standardInput, timeout: timeout)
        } catch BasicsError.executableNotFound(let name) {
            // What a POSIX shell reports, so callers see the same result as over SSH.
            return CommandResult(exitStatus: 127, standardOutput: [], standardError: Array("\(name): command not found\n".utf8))
        } catch let error as BasicsError {
            if case .outputTooLarge = error { throw ConnectionError.io(path: argv[0], reason: "\(error)") }
            throw ConnectionError.io(path: argv[0], reason: "could not be started: \(error)")
        } catch {
            throw ConnectionError.io(path: argv[0], reason: "could not be started: \(error)")
        }
        if output.timedOut {
            throw ConnectionError.timedOut(operation: "\(argv[0]) (killed)", after: timeout)
        }
        return CommandResult(exitStatus: output.exitStatus, standardOutput: output.standardOutput,
                             standardError: output.standardError)
    }

    private func checkOpen() throws {
        if lock.withLock({ isClosed }) {
            throw ConnectionError.couldNotConnect(host: "localhost", port: 0, reason: "the connection was closed; open a new one")
        }
    }

    private func translating<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch BasicsError.io(let path, let operation, let reason) {
            throw ConnectionError.io(path: path, reason: "\(operation) failed: \(reason)")
        }
    }

    private static func errnoError(_ path: String, _ what: String) -> ConnectionError {
        .io(path: path, reason: "\(what): \(String(cString: strerror(errno)))")
    }

    private static var currentUser: String {
        getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid \(geteuid())"
    }
}
