import Foundation
import OGBasics

/// An advisory `flock` on a sidecar file, so that og-host processes (and
/// threads, each with its own descriptor) take turns at a read-modify-write.
/// The kernel drops the lock if the holder dies, so a crash never leaves it held.
enum FileLock {
    /// Runs `body` while no other holder has the lock.
    static func withExclusiveLock<Result>(_ path: String, _ body: () throws -> Result) throws -> Result {
        try withLock(path, LOCK_EX, body)
    }

    /// Runs `body` while no holder of the exclusive lock has it; other shared holders may.
    static func withSharedLock<Result>(_ path: String, _ body: () throws -> Result) throws -> Result {
        try withLock(path, LOCK_SH, body)
    }

    private static func withLock<Result>(_ path: String, _ operation: Int32, _ body: () throws -> Result) throws -> Result {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw BasicsError.io(path: path, operation: "open lock file", reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        while flock(descriptor, operation) != 0 {
            guard errno == EINTR else {
                throw BasicsError.io(path: path, operation: "lock", reason: String(cString: strerror(errno)))
            }
        }
        return try body()
    }
}
