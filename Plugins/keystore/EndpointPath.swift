import OGPluginKit

/// Path syntax on the endpoint: POSIX paths on Unix-like systems, drive-letter
/// paths on Windows (the host accepts only those two absolute forms in plans).
enum EndpointPath {
    static let maximumLength = 4096

    /// `value` checked as an absolute file path for `option`; throws a message
    /// naming the option and showing a path of the right form.
    static func absoluteFile(_ value: String, option: String, platform: Platform) throws -> String {
        let example = platform == .windows ? #"C:\certs\site.p12"# : "/etc/app/site.p12"
        guard !value.isEmpty, value.count <= maximumLength else {
            throw PluginError(status: .invalidArgument, field: option,
                              message: "must be 1 to \(maximumLength) characters long; give a path such as \(example)")
        }
        guard !value.contains(where: { $0 == "\0" || $0 == "\n" || $0 == "\r" }) else {
            throw PluginError(status: .invalidArgument, field: option,
                              message: "contains a NUL or line break; give a path such as \(example)")
        }
        guard isAbsolute(value, platform: platform) else {
            throw PluginError(status: .invalidArgument, field: option,
                              message: "'\(value)' is not an absolute path on the endpoint; give one such as \(example)")
        }
        guard let last = value.last, !isSeparator(last, platform: platform) else {
            throw PluginError(status: .invalidArgument, field: option,
                              message: "'\(value)' ends with a separator, so it names a directory; give the path of the file")
        }
        return value
    }

    static func isAbsolute(_ path: String, platform: Platform) -> Bool {
        if platform == .windows {
            let characters = Array(path.prefix(3))
            return characters.count == 3 && characters[0].isASCII && characters[0].isLetter && characters[1] == ":"
                && isSeparator(characters[2], platform: platform)
        }
        return path.hasPrefix("/")
    }

    /// The directory holding `path` (`/` for a file at the root).
    static func parent(of path: String, platform: Platform) -> String {
        guard let index = path.lastIndex(where: { isSeparator($0, platform: platform) }) else { return path }
        let parent = String(path[..<index])
        if platform == .windows { return parent.count == 2 ? parent + #"\"# : parent }
        return parent.isEmpty ? "/" : parent
    }

    /// The last path component.
    static func fileName(of path: String, platform: Platform) -> String {
        guard let index = path.lastIndex(where: { isSeparator($0, platform: platform) }) else { return path }
        return String(path[path.index(after: index)...])
    }

    /// Two spellings of one file on the endpoint; Windows paths ignore case and separator style.
    static func same(_ first: String, _ second: String, platform: Platform) -> Bool {
        guard platform == .windows else { return first == second }
        func normalised(_ path: String) -> String {
            String(path.lowercased().map { $0 == "/" ? "\\" : $0 })
        }
        return normalised(first) == normalised(second)
    }

    private static func isSeparator(_ character: Character, platform: Platform) -> Bool {
        character == "/" || (platform == .windows && character == "\\")
    }
}
