import OGPluginKit

/// Reads nginx.conf and everything it includes through the connection and
/// builds the directive tree. Every file read is kept, byte for byte, so an
/// install can edit exactly the lines it must.
final class ConfigLoader {
    private let host: HostServices
    let configDirectory: String
    private(set) var files: [String: [UInt8]] = [:]
    private var openFiles: [String] = []
    private static let maximumIncludeDepth = 32
    /// Blocks nested deeper than this are refused (counting the blocks around an
    /// include into the included file's): real configurations nest about six
    /// deep, and the parser recurses once per level, so an unbounded depth
    /// (nginx itself accepts thousands) would let a hostile file exhaust the stack.
    static let maximumBlockDepth = 64
    private var blockDepth = 0
    /// Discovery only: an include directly inside `http { }` (sites-enabled/*, conf.d/*) whose file or
    /// directory the connection cannot read is skipped and listed here instead of failing everything.
    /// Such a file can only add whole server blocks, so the other servers read stay exactly what nginx
    /// sees; installs never tolerate it (the plugin could not be sure what it edits).
    let toleratesUnreadableSites: Bool
    private(set) var skipped: [(path: String, reason: String)] = []

    init(host: HostServices, configDirectory: String, toleratesUnreadableSites: Bool = false) {
        self.host = host
        self.configDirectory = configDirectory
        self.toleratesUnreadableSites = toleratesUnreadableSites
    }

    /// The directives of `file` with every include expanded.
    func load(_ given: String, skipIfUnreadable: Bool = false) throws -> [ConfigDirective] {
        let file = try resolvingSymlink(given)
        guard !openFiles.contains(file) else {
            throw PluginError(status: .parse, field: "nginx_config_path",
                              message: "\(openFiles.last ?? file): includes \(file), which is already being read "
                                  + "(an include loop); remove the include that closes the loop")
        }
        guard openFiles.count < Self.maximumIncludeDepth else {
            throw PluginError(status: .parse, field: "nginx_config_path",
                              message: "\(openFiles.last ?? file): includes are nested more than "
                                  + "\(Self.maximumIncludeDepth) deep; flatten them")
        }
        let bytes: [UInt8]
        if let cached = files[file] {
            bytes = cached
        } else {
            do {
                bytes = try host.readFile(file)
            } catch let error as PluginError where skipIfUnreadable && error.status == .io {
                skipped.append((file, Self.unreadableReason(file, host: host)))
                return []
            }
        }
        files[file] = bytes
        openFiles.append(file)
        defer { openFiles.removeLast() }
        var tokenizer = ConfigTokenizer(bytes: bytes, file: file)
        let tokens = try tokenizer.tokens()
        var index = 0
        let directives = try parseBlock(tokens, &index, file: file, opener: nil)
        return directives
    }

    /// Debian enables sites through symlinks; an edit must reach the file
    /// they point to, or the atomic write would replace the link with a copy.
    private func resolvingSymlink(_ path: String) throws -> String {
        guard try host.stat(path).type == .symlink else { return path }
        let result = try host.run(["readlink", "-f", "--", path], timeout: .seconds(30), privileged: true)
        let target = String(result.standardOutputText.split(separator: "\n").first ?? "")
        guard result.succeeded, target.hasPrefix("/") else {
            throw PluginError(status: .io, field: "nginx_config_path",
                              message: "\(path) is a symbolic link og-host could not resolve (readlink -f exited "
                                  + "\(result.exitStatus)); repair the link or include its target directly")
        }
        return target
    }

    /// Why a file or directory could not be read, as far as its status tells (the host's own message
    /// stays with the host when the plugin goes on).
    private static func unreadableReason(_ path: String, host: HostServices) -> String {
        guard let status = try? host.stat(path) else { return "the account cannot read it" }
        return "the account cannot read it: mode " + String(status.mode & 0o7777, radix: 8)
            + ", owner uid \(status.uid), group gid \(status.gid)"
    }

    private func parseError(_ file: String, _ line: Int, _ message: String) -> PluginError {
        PluginError(status: .parse, field: "nginx_config_path", message: "\(file):\(line): \(message)")
    }

    private func parseBlock(_ tokens: [ConfigToken], _ index: inout Int, file: String,
                            opener: ConfigDirective?) throws -> [ConfigDirective] {
        var directives: [ConfigDirective] = []
        var words: [ConfigToken] = []
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token.kind {
            case .word:
                words.append(token)
            case .semicolon:
                guard let name = words.first else {
                    throw parseError(file, token.line, "unexpected \";\" with no directive before it; remove it")
                }
                let directive = ConfigDirective(name: name.text, arguments: Array(words.dropFirst()), children: nil,
                                                file: file, line: name.line, startOffset: name.range.lowerBound,
                                                endOffset: token.range.upperBound)
                words = []
                if directive.name == "include" {
                    directives += try expandInclude(directive, tolerant: toleratesUnreadableSites && opener?.name == "http")
                } else {
                    directives.append(directive)
                }
            case .openBrace, .rawBlock:
                guard let name = words.first else {
                    throw parseError(file, token.line, "unexpected \"{\" with no directive before it; remove it or name the block")
                }
                var directive = ConfigDirective(name: name.text, arguments: Array(words.dropFirst()), children: [],
                                                file: file, line: name.line, startOffset: name.range.lowerBound,
                                                endOffset: token.range.upperBound)
                words = []
                if token.kind == .openBrace {
                    guard blockDepth < Self.maximumBlockDepth else {
                        throw parseError(file, name.line, "blocks are nested more than \(Self.maximumBlockDepth) deep "
                                             + "(counting the blocks around the includes that lead here); og-host reads at "
                                             + "most \(Self.maximumBlockDepth) levels, flatten the configuration")
                    }
                    blockDepth += 1
                    defer { blockDepth -= 1 }
                    directive.children = try parseBlock(tokens, &index, file: file, opener: directive)
                }
                directives.append(directive)
            case .closeBrace:
                guard opener != nil else {
                    throw parseError(file, token.line, "unexpected \"}\" that closes no block; remove it")
                }
                if let name = words.first {
                    throw parseError(file, name.line, "directive \"\(Excerpt.quote(name.text))\" has no terminating \";\"; add it")
                }
                return directives
            }
        }
        if let name = words.first {
            throw parseError(file, name.line, "directive \"\(Excerpt.quote(name.text))\" has no terminating \";\" before the end of the file; add it")
        }
        if let opener {
            throw parseError(file, opener.line, "the \"\(opener.name)\" block opened here is never closed; add its \"}\"")
        }
        return directives
    }

    private func expandInclude(_ directive: ConfigDirective, tolerant: Bool) throws -> [ConfigDirective] {
        guard directive.arguments.count == 1, let pattern = directive.arguments.first?.text, !pattern.isEmpty else {
            throw parseError(directive.file, directive.line, "include takes exactly one file or pattern")
        }
        guard !pattern.contains("$") else {
            throw parseError(directive.file, directive.line, "include \(Excerpt.quote(pattern)) uses a variable, which nginx does not expand here")
        }
        let resolved = PathText.resolve(pattern, against: configDirectory)
        let paths: [String]
        if GlobPattern.hasWildcards(resolved) {
            paths = try expand(resolved, tolerant: tolerant)
        } else {
            guard try host.stat(resolved).exists else {
                throw parseError(directive.file, directive.line, "includes \(resolved), which does not exist; create it or remove the include")
            }
            paths = [resolved]
        }
        var result: [ConfigDirective] = []
        for path in paths { result += try load(path, skipIfUnreadable: tolerant) }
        return result
    }

    /// The files a wildcard path names, sorted as glob(3) sorts them; no match is not an error.
    private func expand(_ pattern: String, tolerant: Bool) throws -> [String] {
        var candidates = ["/"]
        let components = pattern.split(separator: "/").map(String.init)
        for component in components {
            var next: [String] = []
            for base in candidates {
                if GlobPattern.hasWildcards(component) {
                    guard try host.stat(base).type == .directory else { continue }
                    let glob = GlobPattern(component)
                    let names: [String]
                    do {
                        names = try host.listDirectory(base)
                    } catch let error as PluginError where tolerant && error.status == .io {
                        skipped.append((base, Self.unreadableReason(base, host: host)))
                        continue
                    }
                    for name in names.sorted() where glob.matches(name) {
                        next.append(PathText.join(base, name))
                    }
                } else {
                    next.append(PathText.join(base, component))
                }
            }
            candidates = next
        }
        var files: [String] = []
        for candidate in candidates {
            let type = try host.stat(candidate).type
            if type == .regular || type == .symlink { files.append(candidate) }
        }
        return files
    }
}
