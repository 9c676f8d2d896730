import Foundation
import OGInventory

/// One daemon per data directory: `og-host serve` holds an exclusive flock on
/// `<data>/serve.lock` for its whole life and writes its PID into the file.
/// The kernel drops the lock when the process dies, however it dies, so a
/// `kill -9` never leaves a stale lock behind; the PID left in the file is
/// only believed while someone holds the lock.
public final class ServeLock {
    public let path: String
    private var descriptor: Int32 = -1

    public static func path(in dataDirectory: DataDirectory) -> String { "\(dataDirectory.path)/serve.lock" }

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Takes the lock, or fails (conflict) naming the PID that holds it.
    public static func acquire(in dataDirectory: DataDirectory) throws -> ServeLock {
        let path = path(in: dataDirectory)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw GatewayError("\(path): cannot open the daemon lock: \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = readPID(fd)
            close(fd)
            throw GatewayError.conflict("data directory \(dataDirectory.path): another og-host serve"
                                        + (holder.map { " (PID \($0))" } ?? "") + " already runs on it; "
                                        + "stop it first or give another field `data-dir`")
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, text.count, 0) }
        return ServeLock(path: path, descriptor: fd)
    }

    /// The PID of the daemon running on `dataDirectory`, or nil when none runs.
    public static func runningPID(in dataDirectory: DataDirectory) -> pid_t? {
        let fd = open(path(in: dataDirectory), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        return readPID(fd) ?? 0
    }

    private static func readPID(_ fd: Int32) -> pid_t? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 32, 0) }
        guard count > 0 else { return nil }
        return pid_t(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Gives the lock up (also happens when the process ends).
    public func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
