import OGPluginKit

/// Reads an Apache configuration the way httpd does, in order: Include and
/// IncludeOptional (globs, relative to ServerRoot), Define/UnDefine and
/// `${VAR}`, <IfModule> against the modules loaded so far, <IfDefine>
/// against the -D names og-host passes plus Define, and <VirtualHost>
/// sections. What it cannot evaluate but that could change the TLS nodes
/// (<IfVersion>, <If>, mod_macro, a variable nobody Defined) fails with the
/// file and line instead of a guess.
struct ConfigReader {
    private let host: HostServices
    private var serverRoot: String
    private var variables: [String: String] = [:]
    private var loadedModules: Set<String>
    private var virtualHosts: [VirtualHostBlock] = []
    private var current: VirtualHostBlock?
    private var mainServerName: String?
    private var files: [String: [UInt8]] = [:]
    /// The files being read, outermost first: a file that includes one of
    /// them (directly or through others) is an include loop.
    private var openFiles: [String] = []
    /// Files read so far, counting a file each time it is included: a glob
    /// that fans out at every level must not multiply without end.
    private var filesRead = 0
    /// Sections open around the line being read, across includes.
    private var sectionDepth = 0

    /// Bounds that keep reading linear in the configuration's size and the
    /// recursion shallow; each is far beyond what real configurations use
    /// (a few files deep, sections about four deep, lines well under 1 KiB).
    static let maximumIncludeDepth = 64
    static let maximumFilesRead = 10_000
    static let maximumSectionDepth = 64
    /// A line after `${NAME}` expansion; Define values are expanded lines too,
    /// so a Define that doubles another cannot grow past this either.
    static let maximumExpandedLine = 65_536
    /// All expansions together: many short lines each expanding a long Define
    /// would otherwise cost time out of all proportion to the file.
    static let maximumExpandedTotal = 64 << 20
    private var expandedTotal = 0
    /// mod_macro definitions seen so far, by lowercased name: the line inside
    /// each that could change the TLS virtual hosts, or nil when none could.
    private var macros: [String: LogicalLine?] = [:]

    /// Inside a macro, what makes a `Use` of it able to change the TLS nodes.
    private static let tlsRelevantInMacro: Set<String> = [
        "sslengine", "sslcertificatefile", "sslcertificatekeyfile", "sslcertificatechainfile", "include",
        "includeoptional", "define", "undefine", "serverroot", "loadmodule", "use",
    ]

    /// Directives whose meaning decides the nodes; inside a section the
    /// reader cannot evaluate, any of these makes the configuration unreadable.
    private static let relevant: Set<String> = [
        "include", "includeoptional", "define", "undefine", "serverroot", "servername", "serveralias", "sslengine",
        "sslcertificatefile", "sslcertificatekeyfile", "sslcertificatechainfile", "loadmodule", "use",
    ]
    private static let opaqueSections: Set<String> = [
        "ifversion", "if", "elseif", "else", "ifdirective", "ifsection", "iffile",
    ]

    /// Reads `target`'s whole configuration.
    static func read(_ target: ApacheEndpoint, host: HostServices) throws -> ApacheConfiguration {
        let compiled = try target.runControl(["-l"], host: host, failure: .commandFailed,
                                             what: "listing the compiled-in modules")
        var modules: Set<String> = []
        for line in compiled.standardOutputText.split(separator: "\n") {
            let file = line.trimmingCharacters(in: .whitespaces)
            guard file.hasSuffix(".c") else { continue }
            modules.formUnion(moduleNames(file: file))
        }
        var reader = ConfigReader(host: host, serverRoot: target.serverRoot, loadedModules: modules)
        for name in target.defines { reader.variables[name] = "" }
        let opening = LogicalLine(file: target.configFile, line: 0, lineCount: 0, indentation: "", text: "")
        try reader.readFile(target.configFile, includedFrom: opening)
        return ApacheConfiguration(serverRoot: reader.serverRoot, virtualHosts: reader.virtualHosts,
                                   mainServerName: reader.mainServerName, files: reader.files)
    }

    private init(host: HostServices, serverRoot: String, loadedModules: Set<String>) {
        self.host = host
        self.serverRoot = serverRoot
        self.loadedModules = loadedModules
    }

    /// `mod_ssl.c` is known to <IfModule> both by its source file and as `ssl_module`.
    private static func moduleNames(file: String) -> [String] {
        var stem = file.hasSuffix(".c") ? String(file.dropLast(2)) : file
        if stem.hasPrefix("mod_") { stem = String(stem.dropFirst(4)) }
        if stem == "http_core" { stem = "http" }
        return [file.lowercased(), "\(stem)_module".lowercased()]
    }

    private mutating func readFile(_ path: String, includedFrom line: LogicalLine) throws {
        guard !openFiles.contains(path) else {
            throw PluginError(status: .parse, field: nil,
                              message: "\(line.location): includes \(path), which is already being read (an include "
                                  + "loop); remove the Include that closes the loop")
        }
        guard openFiles.count < Self.maximumIncludeDepth else {
            throw PluginError(status: .parse, field: nil,
                              message: "\(line.location): Include nests more than \(Self.maximumIncludeDepth) files deep; "
                                  + "og-host reads at most \(Self.maximumIncludeDepth) levels, flatten the includes")
        }
        filesRead += 1
        guard filesRead <= Self.maximumFilesRead else {
            throw PluginError(status: .parse, field: nil,
                              message: "\(line.location): the configuration includes more than \(Self.maximumFilesRead) "
                                  + "files (counting repeats); og-host stops there. Are wildcard Includes including "
                                  + "each other's directories?")
        }
        openFiles.append(path)
        defer { openFiles.removeLast() }
        let bytes: [UInt8]
        do {
            bytes = try host.readFile(path)
        } catch let error as PluginError where error.status == .notFound {
            let origin = line.line == 0
                ? "the main configuration file; check --apache_config_file and --apache_server_root"
                : "included from " + line.location
            throw PluginError(status: .notFound, field: nil, message: path + " does not exist (" + origin + ")")
        }
        files[path] = bytes
        let lines = ConfigLexer.lines(of: bytes, file: path)
        try process(lines, from: 0, to: lines.count)
    }

    private mutating func process(_ lines: [LogicalLine], from start: Int, to end: Int) throws {
        var index = start
        while index < end {
            let line = lines[index]
            index += 1
            if line.isBlank || line.isComment { continue }
            if line.text.hasPrefix("</") {
                throw PluginError(status: .parse, field: nil,
                                  message: "\(line.location): \(line.text) closes a section that was never opened here")
            }
            if line.text.hasPrefix("<") {
                guard sectionDepth < Self.maximumSectionDepth else {
                    throw PluginError(status: .parse, field: nil,
                                      message: "\(line.location): sections are nested more than "
                                          + "\(Self.maximumSectionDepth) deep (counting the sections around the "
                                          + "includes that lead here); og-host reads at most "
                                          + "\(Self.maximumSectionDepth) levels, flatten the configuration")
                }
                let closing = try Self.closingIndex(lines, openedAt: index - 1, end: end,
                                                    allowedDepth: Self.maximumSectionDepth - sectionDepth)
                sectionDepth += 1
                defer { sectionDepth -= 1 }
                try section(lines, opening: line, bodyFrom: index, to: closing)
                index = closing + 1
                continue
            }
            try directive(line)
        }
    }

    /// The index of the line closing the section opened at `opened`; sections close in the file they open in.
    /// Refuses, at the line that opens it, a section nested deeper than `allowedDepth`
    /// below this one: found during this one scan, so a hostile file costs one pass.
    private static func closingIndex(_ lines: [LogicalLine], openedAt opened: Int, end: Int, allowedDepth: Int) throws -> Int {
        var nesting = 0
        var index = opened
        while index < end {
            let text = lines[index].text
            if !lines[index].isComment {
                if text.hasPrefix("</") { nesting -= 1 } else if text.hasPrefix("<") { nesting += 1 }
                if nesting == 0 { return index }
                if nesting > allowedDepth {
                    throw PluginError(status: .parse, field: nil,
                                      message: "\(lines[index].location): sections are nested more than "
                                          + "\(maximumSectionDepth) deep (counting the sections around the includes "
                                          + "that lead here); og-host reads at most \(maximumSectionDepth) levels, "
                                          + "flatten the configuration")
                }
            }
            index += 1
        }
        let opening = lines[opened]
        throw PluginError(status: .parse, field: nil,
                          message: "\(opening.location): \(opening.text) is never closed in this file; add its "
                              + "closing tag")
    }

    private mutating func section(_ lines: [LogicalLine], opening: LogicalLine, bodyFrom start: Int, to end: Int) throws {
        guard opening.text.hasSuffix(">") else {
            throw PluginError(status: .parse, field: nil,
                              message: "\(opening.location): \(opening.text) does not end with '>'")
        }
        let inner = String(opening.text.dropFirst().dropLast())
        let name = String(inner.prefix { $0 != " " && $0 != "\t" })
        let key = name.lowercased()
        let closingName = lines[end].text.dropFirst(2).dropLast().trimmingCharacters(in: .whitespaces).lowercased()
        guard closingName == key else {
            throw PluginError(status: .parse, field: nil,
                              message: "\(lines[end].location): \(lines[end].text) closes <\(name)> opened at "
                                  + "\(opening.location); the sections are mismatched")
        }
        let argumentText = String(inner.dropFirst(name.count))
        switch key {
        case "ifmodule":
            let argument = try ConfigLexer.words(try resolve(argumentText, at: opening), at: opening).first ?? ""
            let negated = argument.hasPrefix("!")
            let module = String(argument.dropFirst(negated ? 1 : 0)).lowercased()
            if loadedModules.contains(module) != negated { try process(lines, from: start, to: end) }
        case "ifdefine":
            let argument = try ConfigLexer.words(try resolve(argumentText, at: opening), at: opening).first ?? ""
            let negated = argument.hasPrefix("!")
            let parameter = String(argument.dropFirst(negated ? 1 : 0))
            if (variables[parameter] != nil) != negated { try process(lines, from: start, to: end) }
        case "virtualhost":
            guard current == nil else {
                throw PluginError(status: .parse, field: nil,
                                  message: "\(opening.location): <VirtualHost> inside another <VirtualHost>, which "
                                      + "httpd refuses")
            }
            let words = try ConfigLexer.words(try resolve(argumentText, at: opening), at: opening)
            current = VirtualHostBlock(opening: opening, closing: lines[end],
                                       addresses: try words.map { try Self.address($0, at: opening) })
            try process(lines, from: start, to: end)
            if let block = current { virtualHosts.append(block) }
            current = nil
        case "macro":
            // A definition does nothing until a `Use`; remember whether using it could touch TLS.
            let macroName = argumentText.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? ""
            var offending: LogicalLine?
            for line in lines[start..<end] where !line.isBlank && !line.isComment {
                let word = String(line.text.prefix { $0 != " " && $0 != "\t" && $0 != ">" }).lowercased()
                if Self.tlsRelevantInMacro.contains(word) || Self.opaqueSections.contains(String(word.dropFirst())) {
                    offending = line
                    break
                }
            }
            macros[macroName.lowercased()] = .some(offending)
        default:
            if Self.opaqueSections.contains(key) {
                try refuseRelevant(lines, from: start, to: end, inside: opening, name: name)
            } else {
                try process(lines, from: start, to: end)
            }
        }
    }

    /// A section whose condition og-host cannot evaluate is fine as long as
    /// nothing in it could change which TLS nodes exist or what they use.
    private func refuseRelevant(_ lines: [LogicalLine], from start: Int, to end: Int, inside opening: LogicalLine,
                                name: String) throws {
        for line in lines[start..<end] where !line.isBlank && !line.isComment {
            let word = String(line.text.prefix { $0 != " " && $0 != "\t" && $0 != ">" }).lowercased()
            if word == "<virtualhost" || Self.relevant.contains(word) {
                throw PluginError(status: .parse, field: nil,
                                  message: "\(line.location): og-host cannot tell whether <\(name)> at line "
                                      + "\(opening.line) applies, and this line inside it could change the TLS "
                                      + "virtual hosts; move it out of the section so the configuration can be read")
            }
        }
    }

    private mutating func directive(_ line: LogicalLine) throws {
        let name = String(line.text.prefix { $0 != " " && $0 != "\t" })
        let key = name.lowercased()
        guard Self.relevant.contains(key) else { return }
        let arguments = try ConfigLexer.words(try resolve(String(line.text.dropFirst(name.count)), at: line), at: line)
        let site = DirectiveSite(line: line, name: name, arguments: arguments)
        func first() throws -> String {
            guard let value = arguments.first else {
                throw PluginError(status: .parse, field: nil, message: "\(line.location): \(Excerpt.quote(name)) needs an argument")
            }
            return value
        }
        switch key {
        case "define":
            variables[try first()] = arguments.count > 1 ? arguments[1] : ""
        case "undefine":
            variables[try first()] = nil
        case "serverroot":
            serverRoot = try first()
        case "loadmodule":
            guard arguments.count == 2 else {
                throw PluginError(status: .parse, field: nil, message: "\(line.location): LoadModule needs a module name and a file")
            }
            loadedModules.insert(arguments[0].lowercased())
            let file = ConfigPath.name(of: arguments[1])
            if file.hasSuffix(".so") { loadedModules.insert(String(file.dropLast(3)).lowercased() + ".c") }
        case "include", "includeoptional":
            let pattern = ConfigPath.resolve(try first(), against: serverRoot)
            for file in try IncludeExpansion(host: host).files(for: pattern, optional: key == "includeoptional", at: line) {
                try readFile(file, includedFrom: line)
            }
        case "servername":
            let value = Self.hostName(fromServerName: try first())
            if current != nil { current?.serverName = value } else { mainServerName = value }
        case "serveralias":
            current?.aliases += arguments
        case "sslengine":
            if current != nil {
                current?.sslEngine = site
            } else if try first().lowercased() == "on" {
                throw PluginError(status: .parse, field: nil,
                                  message: "\(line.location): SSLEngine on outside a <VirtualHost> makes the main "
                                      + "server a TLS node, which og-host does not manage; put it in a <VirtualHost>")
            }
        case "sslcertificatefile":
            let resolved = try resolvedPath(site)
            current?.certificateFiles.append(resolved)
        case "sslcertificatekeyfile":
            let resolved = try resolvedPath(site)
            current?.keyFiles.append(resolved)
        case "sslcertificatechainfile":
            let resolved = try resolvedPath(site)
            current?.chainFiles.append(resolved)
        case "use":
            let macroName = try first()
            switch macros[macroName.lowercased()] {
            case .some(.none):
                // Its body holds nothing that makes or changes a TLS virtual host (port-80 hosts, redirects).
                break
            case .some(.some(let offending)):
                throw PluginError(status: .parse, field: nil,
                                  message: "\(line.location): 'Use \(macroName)' expands a mod_macro macro whose body "
                                      + "(\(offending.location)) could define or change TLS virtual hosts, which og-host "
                                      + "does not expand; write those virtual hosts out, or manage them outside og-host")
            case .none:
                throw PluginError(status: .parse, field: nil,
                                  message: "\(line.location): 'Use \(macroName)' expands a macro og-host has not seen "
                                      + "defined before this line; define it first (httpd requires that too)")
            }
        default:
            break
        }
    }

    private func resolvedPath(_ site: DirectiveSite) throws -> DirectiveSite {
        guard let path = site.arguments.first else {
            throw PluginError(status: .parse, field: nil, message: "\(site.line.location): \(site.name) needs a file")
        }
        return DirectiveSite(line: site.line, name: site.name,
                             arguments: [ConfigPath.resolve(path, against: serverRoot)] + site.arguments.dropFirst())
    }

    /// `${NAME}` from Define; httpd would also look in its environment, which
    /// og-host cannot see, so an undefined name is an error here.
    private mutating func resolve(_ text: String, at line: LogicalLine) throws -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let close = rest[start.upperBound...].firstIndex(of: "}") else {
                throw PluginError(status: .parse, field: nil, message: "\(line.location): '${' without a closing '}'")
            }
            let name = String(rest[start.upperBound..<close])
            guard let value = variables[name] else {
                throw PluginError(status: .parse, field: nil,
                                  message: "\(line.location): ${\(name)} is not Defined in the configuration; its "
                                      + "value would come from httpd's environment, which og-host cannot see. Define "
                                      + "it in the configuration or write the value")
            }
            guard result.utf8.count + value.utf8.count + rest.utf8.count <= Self.maximumExpandedLine else {
                throw PluginError(status: .parse, field: nil,
                                  message: "\(line.location): expanding ${\(Excerpt.quote(name))} makes the line longer "
                                      + "than \(Self.maximumExpandedLine) bytes, og-host's bound (Defines that repeat "
                                      + "each other grow without end); shorten the Define values")
            }
            expandedTotal += value.utf8.count
            guard expandedTotal <= Self.maximumExpandedTotal else {
                throw PluginError(status: .parse, field: nil,
                                  message: "\(line.location): ${NAME} expansions add up to more than "
                                      + "\(Self.maximumExpandedTotal >> 20) MiB, og-host's bound for one configuration "
                                      + "(long Defines used on many lines); shorten the Define values")
            }
            result += value
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    private static func hostName(fromServerName value: String) -> String {
        var text = Substring(value)
        if let scheme = text.range(of: "://") { text = text[scheme.upperBound...] }
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") { return String(text[text.index(after: text.startIndex)..<close]) }
        if let colon = text.lastIndex(of: ":") { text = text[..<colon] }
        return String(text)
    }

    private static func address(_ word: String, at line: LogicalLine) throws -> VirtualHostAddress {
        var host = Substring(word)
        var port: Int?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else {
                throw PluginError(status: .parse, field: nil, message: "\(line.location): '\(Excerpt.quote(word))' opens '[' without ']'")
            }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { port = try portNumber(String(after.dropFirst()), word: word, at: line) }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            port = try portNumber(String(host[host.index(after: colon)...]), word: word, at: line)
            host = host[..<colon]
        }
        let name = host == "_default_" ? "*" : String(host)
        return VirtualHostAddress(host: name, port: port)
    }

    private static func portNumber(_ text: String, word: String, at line: LogicalLine) throws -> Int? {
        if text == "*" { return nil }
        guard let port = Int(text), (1...65535).contains(port) else {
            throw PluginError(status: .parse, field: nil,
                              message: "\(line.location): '\(word)' has port '\(text)', not a number between 1 and 65535")
        }
        return port
    }
}

extension Substring {
    func range(of needle: String) -> Range<Substring.Index>? {
        guard !needle.isEmpty else { return nil }
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(needle) {
                return index..<self.index(index, offsetBy: needle.count)
            }
            index = self.index(after: index)
        }
        return nil
    }
}
