/// POSIX path arithmetic on text: paths here live on the endpoint, not on this machine.
enum PathText {
    static func trimmingTrailingSlashes(_ path: String) -> String {
        var result = path
        while result.count > 1, result.hasSuffix("/") { result.removeLast() }
        return result
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `path` as nginx resolves it: relative paths are taken from the configuration directory.
    static func resolve(_ path: String, against directory: String) -> String {
        path.hasPrefix("/") ? path : join(directory, path)
    }
}
