import Glibc
import OGBasics

/// Where og-host looks for plugins, in order. The first directory that holds a
/// plugin of a given name wins; later copies are reported as shadowed, the way
/// PATH works for commands.
///
/// 1. `--plugins-dir DIR` (repeatable): only these directories.
/// 2. otherwise `OG_PLUGIN_PATH` (colon-separated): only these directories.
/// 3. otherwise the defaults:
///    - the source tree's `plugins.d/` when og-host runs from a build inside it
///      (development: `swift build` products are staged there by `.ci/setup`);
///    - `/usr/local/lib/og-host/plugins.d` (packages built locally);
///    - `/usr/lib/og-host/plugins.d` (distribution packages).
public struct PluginSearchPath: Sendable, Equatable {
    public var directories: [String]

    public init(directories: [String]) {
        self.directories = directories
    }

    public static let systemDirectories = ["/usr/local/lib/og-host/plugins.d", "/usr/lib/og-host/plugins.d"]

    public static func resolve(explicit: [String], environment: Environment = .process,
                               executablePath: String = CommandLine.arguments.first ?? "") -> PluginSearchPath {
        if !explicit.isEmpty { return PluginSearchPath(directories: explicit) }
        if let variable = environment["OG_PLUGIN_PATH"], !variable.isEmpty {
            return PluginSearchPath(directories: variable.split(separator: ":").map(String.init))
        }
        var directories: [String] = []
        if let development = developmentDirectory(executablePath: executablePath) { directories.append(development) }
        return PluginSearchPath(directories: directories + systemDirectories)
    }

    /// The repository's plugins.d when the executable lives under its .build folder.
    static func developmentDirectory(executablePath: String) -> String? {
        guard let resolved = realpath(executablePath, nil) else { return nil }
        var directory = PathComponents.parent(of: String(cString: resolved))
        free(resolved)
        while directory != "/" && !directory.isEmpty {
            let name = PathComponents.last(of: directory)
            if name.hasPrefix(".build") {
                let root = PathComponents.parent(of: directory)
                let candidate = root + "/plugins.d"
                var info = stat()
                if access(root + "/Package.swift", F_OK) == 0,
                   stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                    return candidate
                }
                return nil
            }
            directory = PathComponents.parent(of: directory)
        }
        return nil
    }
}
