/// Whether the endpoint's account can change files an install will change,
/// asked of the endpoint itself (`test -w`) rather than guessed from modes:
/// ACLs, group membership, read-only mounts and root all answer correctly.
/// The check runs as a privileged command, so an endpoint configured with
/// sudo is asked as root, exactly as its installs will write.
public enum WriteAccess {
    /// The paths in `paths` (files or directories) the account cannot write, in the order given.
    public static func unwritable(_ paths: [String], host: HostServices) throws -> [String] {
        var unique: [String] = []
        for path in paths where !unique.contains(path) { unique.append(path) }
        guard !unique.isEmpty else { return [] }
        // Paths travel as arguments (quoted by the host) and come back NUL-separated.
        let script = "for p do [ -w \"$p\" ] || printf '%s\\0' \"$p\"; done"
        let result = try host.run(["sh", "-c", script, "sh"] + unique, timeout: .seconds(60), privileged: true)
        guard result.succeeded else {
            throw PluginError(status: .commandFailed, field: nil,
                              message: "checking write access on the endpoint failed (sh exited \(result.exitStatus)): "
                                  + Excerpt.quote(result.standardErrorText, limit: 200))
        }
        return result.standardOutput.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }
}
