import OGPluginKit

/// Turns an Include argument into the files httpd would read, in its order:
/// wildcards in any path component, directories read whole, entries sorted,
/// names starting with a dot matched only by a pattern that starts with one.
struct IncludeExpansion {
    let host: HostServices

    func files(for path: String, optional: Bool, at line: LogicalLine) throws -> [String] {
        let components = path.split(separator: "/").map(String.init)
        let hasWildcard = components.contains(where: Glob.hasWildcard)
        var candidates = [""]
        for component in components {
            if Glob.hasWildcard(component) {
                var next: [String] = []
                for directory in candidates {
                    let listed = directory.isEmpty ? "/" : directory
                    guard try isDirectoryLike(listed) else { continue }
                    for name in try host.listDirectory(listed) where Glob.matches(name, pattern: component) {
                        next.append(directory + "/" + name)
                    }
                }
                candidates = next
            } else {
                candidates = candidates.map { $0 + "/" + component }
            }
        }
        var files: [String] = []
        for candidate in candidates {
            let info = try host.stat(candidate)
            switch info.type {
            case .missing:
                if optional || hasWildcard { continue }
                throw PluginError(status: .parse, field: nil,
                                  message: "\(line.location): Include \(path): the file does not exist; create it, "
                                      + "use IncludeOptional, or correct the path")
            case .directory:
                files += try directoryFiles(candidate, depth: 0, at: line)
            default:
                files.append(candidate)
            }
        }
        if files.isEmpty, hasWildcard, !optional {
            throw PluginError(status: .parse, field: nil,
                              message: "\(line.location): Include \(path) matches no file, which httpd refuses; "
                                  + "use IncludeOptional or correct the pattern")
        }
        return files
    }

    private func isDirectoryLike(_ path: String) throws -> Bool {
        switch try host.stat(path).type {
        case .directory: return true
        case .symlink: return (try? host.listDirectory(path)) != nil
        default: return false
        }
    }

    private func directoryFiles(_ directory: String, depth: Int, at line: LogicalLine) throws -> [String] {
        guard depth < 16 else {
            throw PluginError(status: .parse, field: nil,
                              message: "\(line.location): Include of \(directory) nests directories more than 16 deep")
        }
        var files: [String] = []
        for name in try host.listDirectory(directory) {
            let path = directory + "/" + name
            if try host.stat(path).type == .directory {
                files += try directoryFiles(path, depth: depth + 1, at: line)
            } else {
                files.append(path)
            }
        }
        return files
    }
}

/// fnmatch(3) for one path component: `*`, `?` and bracket classes.
enum Glob {
    static func hasWildcard(_ text: String) -> Bool {
        text.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    static func matches(_ name: String, pattern: String) -> Bool {
        if name.hasPrefix("."), !pattern.hasPrefix(".") { return false }
        return match(Array(name), 0, Array(pattern), 0)
    }

    private static func match(_ name: [Character], _ n: Int, _ pattern: [Character], _ p: Int) -> Bool {
        if p == pattern.count { return n == name.count }
        switch pattern[p] {
        case "*":
            var index = n
            while index <= name.count {
                if match(name, index, pattern, p + 1) { return true }
                index += 1
            }
            return false
        case "?":
            return n < name.count && match(name, n + 1, pattern, p + 1)
        case "[":
            guard n < name.count, let close = pattern[(p + 1)...].dropFirst().firstIndex(of: "]") else {
                return n < name.count && name[n] == "[" && match(name, n + 1, pattern, p + 1)
            }
            var set = Array(pattern[(p + 1)..<close])
            let negated = set.first == "!" || set.first == "^"
            if negated { set.removeFirst() }
            var found = false
            var index = 0
            while index < set.count {
                if index + 2 < set.count, set[index + 1] == "-" {
                    if set[index] <= name[n] && name[n] <= set[index + 2] { found = true }
                    index += 3
                } else {
                    if set[index] == name[n] { found = true }
                    index += 1
                }
            }
            return found != negated && match(name, n + 1, pattern, close + 1)
        default:
            return n < name.count && name[n] == pattern[p] && match(name, n + 1, pattern, p + 1)
        }
    }
}
