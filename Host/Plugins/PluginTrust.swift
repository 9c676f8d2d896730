import Glibc
import OGBasics

/// Decides whether a file may be loaded as code. A plugin runs inside the host
/// with the host's privileges, so anyone who can replace it can act as the host:
/// the file and its directory must be writable by nobody but root or us.
public enum PluginTrust {
    /// nil when `path` may be loaded; otherwise why not, with the fix.
    public static func problem(with path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return "cannot be examined: \(String(cString: strerror(errno)))" }
        var target = path
        if info.st_mode & S_IFMT == S_IFLNK {
            guard let resolved = realpath(path, nil) else { return "is a dangling symbolic link" }
            target = String(cString: resolved)
            free(resolved)
            if let problem = ownershipProblem(path: PathComponents.parent(of: path), isDirectory: true) {
                return problem
            }
            guard stat(target, &info) == 0 else { return "link target \(target) cannot be examined" }
        }
        guard info.st_mode & S_IFMT == S_IFREG else { return "is not a regular file" }
        if let problem = ownershipProblem(path: target, isDirectory: false) { return problem }
        return ownershipProblem(path: PathComponents.parent(of: target), isDirectory: true)
    }

    private static func ownershipProblem(path: String, isDirectory: Bool) -> String? {
        var info = stat()
        let subject = isDirectory ? "directory \(path.isEmpty ? "." : path)" : "file"
        guard stat(path.isEmpty ? "." : path, &info) == 0 else { return "\(subject) cannot be examined" }
        let me = geteuid()
        if info.st_uid != 0 && info.st_uid != me {
            return "\(subject) is owned by uid \(info.st_uid), neither root nor the user running og-host (uid \(me)); chown it"
        }
        if info.st_mode & 0o022 != 0 {
            let mode = String(info.st_mode & 0o777, radix: 8)
            return "\(subject) is writable by group or others (mode \(mode)); run chmod go-w on it"
        }
        return nil
    }
}
