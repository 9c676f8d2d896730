import OGPluginKit

/// Checks on files of the endpoint, made through the host's `stat` (which does
/// not follow a final symlink), each failure naming the option to correct.
struct EndpointFiles {
    let host: HostServices
    let platform: Platform

    /// The file at `path` (from `option`) exists and is a regular file.
    /// `missingHint` finishes the "does not exist" message with what to do.
    @discardableResult
    func requireRegularFile(_ path: String, option: String, missingHint: String) throws -> FileInfo {
        let info = try host.stat(path)
        switch info.type {
        case .regular:
            return info
        case .missing:
            throw PluginError(status: .notFound, field: option,
                              message: "\(path) does not exist on the endpoint; \(missingHint)")
        case .directory:
            throw PluginError(status: .invalidArgument, field: option,
                              message: "\(path) is a directory; give the path of the file itself")
        case .symlink:
            throw PluginError(status: .invalidArgument, field: option,
                              message: "\(path) is a symbolic link; give the real path of the file it points to "
                                  + "(og-host replaces files atomically, which would replace the link itself)")
        case .other:
            throw PluginError(status: .invalidArgument, field: option,
                              message: "\(path) is not a regular file (a device, socket or pipe); give the path of a file")
        }
    }

    /// A script og-host will run: a regular file the connecting user can
    /// execute, and one that not every user may rewrite.
    func requireScript(_ path: String, option: String) throws {
        let info = try requireRegularFile(path, option: option,
                                          missingHint: "copy the script to the endpoint or correct --\(option)")
        // Windows decides executability by extension and ACL, which stat's mode bits do not show.
        guard platform != .windows else { return }
        let mode = "mode " + octal(info.mode & 0o7777)
        guard info.mode & 0o111 != 0 else {
            throw PluginError(status: .invalidArgument, field: option,
                              message: "\(path) is not executable (\(mode)); make it so with chmod +x \(path)")
        }
        guard info.mode & 0o002 == 0 else {
            throw PluginError(status: .invalidArgument, field: option,
                              message: "\(path) can be changed by every user (\(mode)), so anyone could choose what "
                                  + "og-host runs; remove that permission with chmod o-w \(path)")
        }
    }

    /// A file og-host may create: if it exists it must be a regular file, and
    /// if not, the directory that will hold it must exist.
    func requireWritableLocation(_ path: String, option: String) throws {
        let info = try host.stat(path)
        guard info.type == .missing else {
            try requireRegularFile(path, option: option, missingHint: "")
            return
        }
        // Windows paths cannot take the "/." suffix below; the install itself reports a missing directory there.
        guard platform != .windows else { return }
        let parent = EndpointPath.parent(of: path, platform: platform)
        // stat does not follow a final symlink; "<dir>/." makes it resolve one,
        // so a symlinked directory counts as the directory it points to.
        switch try host.stat(parent == "/" ? "/" : parent + "/.").type {
        case .directory:
            return
        case .missing:
            throw PluginError(status: .notFound, field: option,
                              message: "directory \(parent) does not exist on the endpoint; create it or correct --\(option)")
        default:
            throw PluginError(status: .invalidArgument, field: option,
                              message: "\(parent) is not a directory; correct --\(option)")
        }
    }

    private func octal(_ value: UInt32) -> String {
        let digits = String(value, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
