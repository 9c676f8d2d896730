import Foundation
import OGBasics

/// Files og-host writes for the operator (a CSR with `--out`).
public enum OutputFile {
    /// Refuses a path whose directory is missing or not writable, before any work is done.
    public static func requireWritableDirectory(of path: String, field: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let checked = directory.isEmpty ? "." : directory
        var info = stat()
        guard stat(checked, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw GatewayError.option(field, "\(checked) is not an existing directory; create it first or choose another path")
        }
        guard access(checked, W_OK) == 0 else {
            throw GatewayError.option(field, "\(checked) is not writable by this user; choose another path")
        }
    }

    /// Writes `text` to `path` atomically (mode 0644).
    public static func write(_ text: String, to path: String, field: String) throws {
        do {
            try LocalFiles.writeAtomically(path, contents: Array(text.utf8), mode: 0o644)
        } catch {
            throw GatewayError.option(field, "\(error)")
        }
    }
}
