/// Whether the endpoint's account can change files an install will change,
/// asked of the endpoint itself (`test -w`) rather than guessed from modes:
/// ACLs, group membership, read-only mounts and root all answer correctly.
/// The check runs as a privileged command, so an endpoint configured with
/// sudo is asked as root, exactly as its installs will write.
public enum WriteAccess {
    /// The existing paths in `paths` (files or directories) the account cannot write, in the order given.
    public static func unwritable(_ paths: [String], host: HostServices) throws -> [String] {
        var unique: [String] = []
        for path in paths where path.hasPrefix("/") && !unique.contains(path) { unique.append(path) }
        guard !unique.isEmpty else { return [] }
        // Paths travel as arguments (quoted by the host) and come back NUL-separated.
        // A path that does not exist yet is not refused here (its directory is checked for files).
        let script = "for p do [ ! -e \"$p\" ] || [ -w \"$p\" ] || printf '%s\\0' \"$p\"; done"
        let result = try host.run(["sh", "-c", script, "sh"] + unique, timeout: .seconds(60), privileged: true)
        guard result.succeeded else {
            throw PluginError(status: .commandFailed, field: nil,
                              message: "checking write access on the endpoint failed (sh exited \(result.exitStatus)): "
                                  + Excerpt.quote(result.standardErrorText, limit: 200))
        }
        return result.standardOutput.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// For `validate`: refuses (field `sudo`) when the account cannot write one of `files`, the
    /// directories holding them (atomic writes and backups create files beside them) or
    /// `directories` (where new certificate files go). POSIX endpoints only; absolute paths only.
    public static func require(files: [String], directories: [String], platform: Platform, host: HostServices) throws {
        guard platform == .posix else { return }
        var paths: [String] = []
        for file in files {
            paths.append(file)
            if let slash = file.lastIndex(of: "/") { paths.append(slash == file.startIndex ? "/" : String(file[..<slash])) }
        }
        let denied = try unwritable(paths + directories, host: host)
        guard denied.isEmpty else {
            throw PluginError(status: .invalidArgument, field: "sudo",
                              message: "the account cannot write " + denied.joined(separator: ", ")
                                  + ", where installs write; configure sudo for it (--sudo nopasswd or --sudo password) "
                                  + "or give it write access there")
        }
    }
}
