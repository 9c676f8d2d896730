/// An open channel to one endpoint: run commands and manage files there.
///
/// Implementations serialise their own operations, so a connection may be
/// shared between threads; operations from different threads run one after
/// another. Paths are the endpoint's own absolute paths.
public protocol Connection: AnyObject, Sendable {
    /// The operating system family on the other side, which decides how
    /// commands are quoted and what paths look like.
    var platform: Platform { get }

    /// Runs `argv[0]` with arguments `argv[1...]`. Each argument reaches the
    /// program intact: it is quoted for the remote shell, never interpreted.
    /// `standardInput` is delivered, then closed; put secrets there, never in
    /// `argv`. Returns whatever the exit status; throws only when the command
    /// could not run or did not finish within `timeout`
    /// (`ConnectionError.timedOut`; a local command is then killed, a command
    /// over SSH loses its channel but may run on until it ends, since libssh2
    /// 1.10 cannot signal it). `privileged` runs it through the
    /// connection's elevation (`sudo`) unless it already runs as root.
    func run(_ argv: [String], standardInput: [UInt8], timeout: Duration, privileged: Bool) throws -> CommandResult

    /// The whole contents of a file. `ConnectionError.notFound` if it does not exist.
    func readFile(_ path: String) throws -> [UInt8]

    /// Replaces `path` with `contents` atomically: the bytes go to a temporary
    /// file in the same directory that is then renamed over the target, so a
    /// reader sees the old file or the new one, never a mix. An existing file
    /// keeps its mode and (where permitted) its owner; a new one gets `mode`
    /// or 0644. On failure the temporary file is removed when still possible.
    func writeFileAtomically(_ path: String, contents: [UInt8], mode: UInt32?) throws

    /// Leaves at `backup` (a new path beside `path`) a complete copy of the
    /// regular file `path` as it is now, never a partial one; `contents` are
    /// its bytes as the caller just read them and `mode` its mode. By default
    /// an atomic write of `contents`; a connection whose writes only ever
    /// replace files by rename may instead make `backup` a hard link to the
    /// file (SSH: one request instead of a whole write).
    func backUp(_ path: String, to backup: String, contents: [UInt8], mode: UInt32) throws

    /// Describes `path` without following a final symlink. A missing path is
    /// not an error: its `type` is `.missing`.
    func stat(_ path: String) throws -> FileStatus

    /// The names in a directory, without "." and "..", sorted.
    func listDirectory(_ path: String) throws -> [String]

    /// Creates a directory and any missing parents; an existing directory is fine.
    func makeDirectory(_ path: String, mode: UInt32) throws

    /// Removes a file, a symlink or an empty directory.
    /// `ConnectionError.notFound` if nothing is there.
    func remove(_ path: String) throws

    /// Releases the connection; later operations fail. Idempotent.
    func close()
}

extension Connection {
    /// Runs an unprivileged command with the given timeout and no input.
    public func run(_ argv: [String], standardInput: [UInt8] = [], timeout: Duration = .seconds(120)) throws -> CommandResult {
        try run(argv, standardInput: standardInput, timeout: timeout, privileged: false)
    }

    public func backUp(_ path: String, to backup: String, contents: [UInt8], mode: UInt32) throws {
        try writeFileAtomically(backup, contents: contents, mode: mode)
    }

    /// Writes a file atomically, giving a new file mode 0644.
    public func writeFileAtomically(_ path: String, contents: [UInt8]) throws {
        try writeFileAtomically(path, contents: contents, mode: nil)
    }

    /// Creates a directory (and parents) with mode 0755.
    public func makeDirectory(_ path: String) throws {
        try makeDirectory(path, mode: 0o755)
    }
}

/// The operating system family an endpoint runs.
public enum Platform: String, Sendable, Equatable {
    case posix
    case windows
}
