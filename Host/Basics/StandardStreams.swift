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

    /// Opens /dev/null on any of descriptors 0, 1 and 2 that is closed (`og-host 2>&-`). Otherwise the next
    /// file opened (the inventory, a temporary) would take that number and receive what is written to the
    /// stream. Call it first thing in `main`.
    public static func keepOpen() {
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
            // open() returns the lowest free number: this one, as the lower ones are open by now.
            let opened = open("/dev/null", O_RDWR)
            if opened >= 0 && opened != descriptor {
                dup2(opened, descriptor)
                close(opened)
            }
        }
    }

    public static func output(_ text: String) { write(Array(text.utf8), to: STDOUT_FILENO) }
    public static func error(_ text: String) { write(Array(text.utf8), to: STDERR_FILENO) }
}
