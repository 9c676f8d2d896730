import Foundation

/// The one place og-host reads and writes files on the gateway itself.
///
/// Writes are atomic: the bytes go to a temporary file in the target's own
/// directory, are flushed to disk, and are renamed over the target, so a crash
/// leaves either the old file or the new one, never a mix. An existing file
/// keeps its permission bits and owner.
public enum LocalFiles {
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError(path, "read") }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ioError(path, "read")
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }

    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Writes `contents` to `path` atomically. `mode` applies to a new file;
    /// an existing file keeps its mode, owner and group.
    public static func writeAtomically(_ path: String, contents: [UInt8], mode: mode_t = 0o644) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
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
        guard rename(temporaryPath, path) == 0 else { throw ioError(path, "rename into place") }
        committed = true
        // Make the rename itself durable.
        let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Creates `path` and missing parents with `mode`.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: NSNumber(value: mode)])
        } catch {
            throw BasicsError.io(path: path, operation: "create directory", reason: "\(error.localizedDescription)")
        }
    }

    static func ioError(_ path: String, _ operation: String) -> BasicsError {
        .io(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }
}
