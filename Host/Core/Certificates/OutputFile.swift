import Foundation
import OGBasics

/// Files og-host writes for the operator (a CSR with `--out`), written the way
/// careful Unix tools write: `-` is standard output; an existing regular file is
/// replaced only when the operator says so (`--force`); a symbolic link, device,
/// FIFO, socket or directory at the path is never replaced or written through
/// (`--out /dev/stdout` as root must not turn the system's /dev/stdout into a file).
public enum OutputFile {
    /// The spelling of standard output.
    public static let standardOutput = "-"

    /// Refuses a path og-host must not write, before any work is done.
    public static func requireWritable(_ path: String, field: String, replacing: Bool) throws {
        if path == standardOutput { return }
        guard !path.isEmpty else { throw GatewayError.option(field, "is empty; give a file path, or - for standard output") }
        var info = stat()
        if lstat(path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                guard replacing else {
                    throw GatewayError.option(field, "\(path) already exists; give field `force` to replace it, or choose another path",
                                              category: .conflict)
                }
            case S_IFLNK:
                throw GatewayError.option(field, "\(path) is a symbolic link; og-host does not write through links: give the "
                                          + "path it points to, or remove the link")
            default:
                throw GatewayError.option(field, "\(path) is \(LocalFiles.describeType(info.st_mode)), not a regular file; og-host replaces only "
                                          + "regular files: choose another path, or - for standard output")
            }
        }
        let directory = (path as NSString).deletingLastPathComponent
        let checked = directory.isEmpty ? "." : directory
        guard stat(checked, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw GatewayError.option(field, "\(checked) is not an existing directory; create it first or choose another path")
        }
        guard access(checked, W_OK) == 0 else {
            throw GatewayError.option(field, "\(checked) is not writable by this user; choose another path")
        }
    }

    /// Writes `text` to `path` atomically (mode 0644), or to standard output for `-`.
    /// The path is checked again just before the write: what appeared there since
    /// the first check is refused the same way.
    public static func write(_ text: String, to path: String, field: String, replacing: Bool) throws {
        if path == standardOutput {
            StandardStreams.output(text)
            return
        }
        try requireWritable(path, field: field, replacing: replacing)
        do {
            try LocalFiles.writeAtomically(path, contents: Array(text.utf8), mode: 0o644)
        } catch {
            throw GatewayError.option(field, "\(error)")
        }
    }
}
