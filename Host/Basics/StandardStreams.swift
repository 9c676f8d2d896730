#if canImport(Glibc)
import Glibc
#endif

/// Writes to this process's standard output and error that never kill it.
/// Foundation's `FileHandle.write` traps when the write fails; a child og-host
/// whose parent died (an endpoint job orphaned by a killed daemon) must go on
/// and finish its install, so a stream nobody reads any more (EPIPE, with
/// SIGPIPE ignored) is simply given up.
public enum StandardStreams {
    /// Writes all of `bytes` to `descriptor` (retrying interrupted and partial writes); gives up on any error.
    public static func write(_ bytes: [UInt8], to descriptor: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    public static func output(_ text: String) { write(Array(text.utf8), to: STDOUT_FILENO) }
    public static func error(_ text: String) { write(Array(text.utf8), to: STDERR_FILENO) }
}
