import Glibc

/// The one place og-host reads and writes files on the gateway itself.
///
/// Writes are atomic: the bytes go to a temporary file in the target's own
/// directory, are flushed to disk, and are renamed over the target, so a crash
/// leaves either the old file or the new one, never a mix. An existing file
/// keeps its permission bits and owner.
public enum LocalFiles {
    /// How large a file of a given kind can sensibly be. Every read is bounded:
    /// a path that names `/dev/zero` or a runaway file must fail with a clear
    /// error, not grow memory until the process is killed.
    public struct ReadLimit: Sendable, Equatable {
        public let bytes: Int
        public let kind: String
        public init(bytes: Int, kind: String) {
            self.bytes = bytes
            self.kind = kind
        }
        /// Certificates, keys, CSRs, chains, SSH keys, master keys: a long chain of
        /// RSA-4096 certificates is tens of kilobytes.
        public static let material = ReadLimit(bytes: 1 << 20, kind: "certificate or key file")
        /// Trust-anchor bundles (the system's is about 200 KiB).
        public static let bundle = ReadLimit(bytes: 8 << 20, kind: "certificate bundle")
        /// Plugin manifests: a plugin with 64 types of 64 options each stays far below this.
        public static let manifest = ReadLimit(bytes: 4 << 20, kind: "plugin manifest")
        /// Keystores, server configuration files, sealed stores.
        public static let document = ReadLimit(bytes: 32 << 20, kind: "file of this kind")

        /// Why a file over this limit is refused, for every reader (local or remote).
        public var refusal: String { "is larger than \(bytes / 1024) KiB, more than any \(kind) should be; check the path" }
    }

    /// Reads a whole regular file, at most `limit.bytes` long.
    ///
    /// Anything that is not a regular file (a FIFO, a device, a socket) is refused
    /// before a byte is read: opening with `O_NONBLOCK` keeps a FIFO without a
    /// writer from blocking the open itself.
    public static func read(_ path: String, limit: ReadLimit = .document) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw ioError(path, "read") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ioError(path, "examine") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw BasicsError.io(path: path, operation: "read",
                                 reason: "is \(describeType(info.st_mode)), not a regular file; give the path of a file")
        }
        guard Int(info.st_size) <= limit.bytes else { throw tooLarge(path, limit) }
        var result: [UInt8] = []
        result.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: min(65536, max(4096, Int(info.st_size) + 1)))
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ioError(path, "read")
            }
            if count == 0 { break }
            // The size checked above can grow while we read (a file being appended to).
            guard result.count + count <= limit.bytes else { throw tooLarge(path, limit) }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }

    static func tooLarge(_ path: String, _ limit: ReadLimit) -> BasicsError {
        .io(path: path, operation: "read", reason: limit.refusal)
    }

    /// "a FIFO", "a character device", ...: what a non-regular file is, for messages.
    public static func describeType(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFDIR: return "a directory"
        case S_IFLNK: return "a symbolic link"
        default: return "a special file"
        }
    }

    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Writes `contents` to `path` atomically. `mode` applies to a new file;
    /// an existing file keeps its mode, owner and group.
    public static func writeAtomically(_ path: String, contents: [UInt8], mode: mode_t = 0o644) throws {
        let directory = PathComponents.parent(of: path)
        let base = PathComponents.last(of: path)
        var existing = stat()
        let hasExisting = stat(path, &existing) == 0
        let finalMode = hasExisting ? existing.st_mode & 0o7777 : mode

        var template = Array("\(directory.isEmpty ? "." : directory)/.\(base).og-tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw ioError(path, "create temporary file for") }
        let temporaryPath = String(cString: template)
        var committed = false
        defer {
            if !committed { unlink(temporaryPath) }
        }
        do {
            defer { close(fd) }
            guard fchmod(fd, finalMode) == 0 else { throw ioError(temporaryPath, "chmod") }
            if hasExisting, geteuid() == 0 || existing.st_uid == geteuid() {
                // Best effort: a non-root user can only keep its own ownership.
                _ = fchown(fd, existing.st_uid, existing.st_gid)
            }
            var offset = 0
            while offset < contents.count {
                let written = contents.withUnsafeBytes { write(fd, $0.baseAddress! + offset, contents.count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ioError(path, "write")
                }
                offset += written
            }
            guard fsync(fd) == 0 else { throw ioError(path, "fsync") }
        }
        FaultPoints.reach("temporary of \(path) complete")
        guard rename(temporaryPath, path) == 0 else { throw ioError(path, "rename into place") }
        committed = true
        // Make the rename itself durable.
        let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Creates `path` and missing parents with `mode` (each directory it creates gets
    /// exactly `mode`, whatever the umask); an existing directory is left as it is.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw BasicsError.io(path: path, operation: "create directory", reason: "a file of that name exists")
            }
            return
        }
        let parent = PathComponents.parent(of: path)
        if !parent.isEmpty, parent != path { try makeDirectory(parent, mode: mode) }
        if mkdir(path, mode) != 0 {
            // Another process may have made it in the meantime.
            if errno == EEXIST, stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { return }
            throw ioError(path, "create directory")
        }
        guard chmod(path, mode) == 0 else { throw ioError(path, "create directory") }
    }

    static func ioError(_ path: String, _ operation: String) -> BasicsError {
        .io(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }
}
