/// Path arithmetic on the endpoint's side, where the syntax is the endpoint's
/// platform, not the host's: a Windows endpoint reached from Linux has
/// `C:\certs\store.p12`. Plugins build paths with this instead of `"/"`
/// concatenation, so the same plugin code is right on both.
public struct EndpointPath: Sendable {
    public let platform: Platform

    public init(platform: Platform) { self.platform = platform }

    private var isWindows: Bool { platform == .windows }
    private var separator: Character { isWindows ? "\\" : "/" }

    private func isSeparator(_ character: Character) -> Bool {
        character == "/" || (isWindows && character == "\\")
    }

    /// Absolute: `/x` on POSIX; `C:\x`, `C:/x` or a UNC `\\server\share` on Windows.
    public func isAbsolute(_ path: String) -> Bool {
        guard isWindows else { return path.hasPrefix("/") }
        let characters = Array(path)
        if characters.count >= 3, characters[0].isASCII, characters[0].isLetter, characters[1] == ":", isSeparator(characters[2]) {
            return true
        }
        return path.hasPrefix("\\\\") || path.hasPrefix("//")
    }

    /// `directory` and `name` with exactly one separator between them; an absolute `name` stands alone.
    public func join(_ directory: String, _ name: String) -> String {
        if name.isEmpty { return directory }
        if directory.isEmpty || isAbsolute(name) { return name }
        var trimmedName = Substring(name)
        while let first = trimmedName.first, isSeparator(first) { trimmedName = trimmedName.dropFirst() }
        if let last = directory.last, isSeparator(last) { return directory + trimmedName }
        return directory + String(separator) + trimmedName
    }

    /// The directory part: `/etc/nginx` for `/etc/nginx/nginx.conf`, `C:\certs` for `C:\certs\a.p12`,
    /// the root itself for a file in the root, "" for a bare name.
    public func parent(_ path: String) -> String {
        guard let index = path.lastIndex(where: isSeparator) else { return "" }
        let head = String(path[..<index])
        if head.isEmpty { return String(path[index]) }
        if isWindows, head.count == 2, head.hasSuffix(":") { return head + String(path[index]) }
        return head
    }

    /// The last component: `nginx.conf`, `a.p12`.
    public func lastComponent(_ path: String) -> String {
        guard let index = path.lastIndex(where: isSeparator) else { return path }
        return String(path[path.index(after: index)...])
    }
}
