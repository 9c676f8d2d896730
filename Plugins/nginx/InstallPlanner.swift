import OGPluginKit

/// Plans an install into one server block: the certificate and key go to new
/// per-node files, and only the block's `ssl_certificate` and
/// `ssl_certificate_key` lines change (or are added, keeping the block's
/// indentation, when the block inherits them from `http`).
struct InstallPlanner {
    let configuration: NginxConfiguration
    let host: HostServices

    var target: NginxEndpoint { configuration.target }

    /// The plan, and the certificate/key files it has the host write.
    func plan(_ request: InstallRequest) throws -> (InstallPlan, HostWrittenPairs.Pair) {
        let (id, server) = try NodeSelection(configuration: configuration).select(request)
        try requireSingle(server.certificateDirectives, id: id)
        try requireSingle(server.keyDirectives, id: id)
        try requireNotShared(server.certificateDirectives + server.keyDirectives, by: server, id: id)
        for directive in server.certificateDirectives + server.keyDirectives
        where directive.arguments[0].text.contains("$") {
            throw PluginError(status: .conflict, field: "node",
                              message: "\(directive.location): \(directive.name) of server \(id) is chosen by variables "
                                  + "(\(directive.arguments[0].text)); og-host cannot tell which file to replace, so "
                                  + "install into a server block with a fixed path")
        }

        let directory = target.certificateDirectory
        guard try host.stat(directory).type == .directory else {
            throw PluginError(status: .notFound, field: "certificate_directory",
                              message: "\(directory) is not a directory on the endpoint; create it or give another "
                                  + "--certificate_directory")
        }
        let stem = "og-" + Self.fileStem(id)
        let certificatePath = PathText.join(directory, stem + ".crt")
        let keyPath = PathText.join(directory, stem + ".key")

        var edits: [ConfigEdit] = []
        if let certificate = server.certificateDirectives.first {
            edits.append(replacing(certificate, with: certificatePath))
            if let key = server.keyDirectives.first {
                edits.append(replacing(key, with: keyPath))
            } else {
                edits.append(try inserting(["ssl_certificate_key \(ConfigEdit.argument(keyPath));"], after: certificate))
            }
        } else {
            if let key = server.keyDirectives.first {
                edits.append(replacing(key, with: keyPath))
                edits.append(try inserting(["ssl_certificate \(ConfigEdit.argument(certificatePath));"], after: key))
            } else {
                edits.append(try inserting(["ssl_certificate \(ConfigEdit.argument(certificatePath));",
                                            "ssl_certificate_key \(ConfigEdit.argument(keyPath));"],
                                           after: try anchor(in: server, id: id)))
            }
        }

        var changes: [FileChange] = [.fullChainPEM(certificatePath), .privateKeyPEM(keyPath)]
        for file in Set(edits.map(\.file)).sorted() {
            guard let original = configuration.files[file] else { continue }
            let changed = ConfigEdit.apply(edits.filter { $0.file == file }, to: original)
            if changed != original { changes.append(.literal(file, changed).requiringExistingFile()) }
        }
        let plan = InstallPlan(summary: "write \(certificatePath) and \(keyPath) for server \(id) "
                                   + "(\(server.directive.location)), point the server block at them and reload nginx",
                               nodeID: id, changes: changes, verify: verifyTargets(server, request: request))
        return (plan, HostWrittenPairs.Pair(certificatePath: certificatePath, keyPath: keyPath))
    }

    /// Where the host handshakes afterwards: each TLS port once, with the server's name as SNI.
    func verifyTargets(_ server: ServerBlock, request: InstallRequest) -> [VerifyTarget] {
        var seen = Set<Int>()
        let ordered = server.tlsListens.filter { !$0.isIPv6 } + server.tlsListens.filter(\.isIPv6)
        return ordered.compactMap { listen in
            guard seen.insert(listen.port).inserted else { return nil }
            return VerifyTarget(host: target.reachableHost(for: listen.address), port: listen.port,
                                serverName: Self.serverNameIndication(server))
        }
    }

    /// A name a client could send that selects this block; nil for catch-all and regex names.
    static func serverNameIndication(_ server: ServerBlock) -> String? {
        for name in server.names where !name.isEmpty && name != "_" && !name.hasPrefix("~") {
            if name.hasPrefix("*.") { return "og-verify" + name.dropFirst() }
            if name.hasPrefix(".") { return String(name.dropFirst()) }
            if !name.contains("*") { return name }
        }
        return nil
    }

    /// The node id as a file name: anything but letters, digits, dots and dashes becomes `_`.
    static func fileStem(_ id: String) -> String {
        String(id.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") ? $0 : "_" })
    }

    private func requireSingle(_ directives: [ConfigDirective], id: String) throws {
        guard directives.count > 1 else { return }
        throw PluginError(status: .conflict, field: "node",
                          message: "server \(id) has \(directives.count) \(directives[0].name) directives ("
                              + directives.map(\.location).joined(separator: ", ")
                              + "), one per key type; og-host installs a single certificate, so keep one of them")
    }

    /// A directive written once in a snippet that several server blocks
    /// include cannot be edited for one of them without changing the others.
    private func requireNotShared(_ directives: [ConfigDirective], by server: ServerBlock, id: String) throws {
        for directive in directives {
            let sharers = configuration.servers.filter { other in
                other.directive.identity != server.directive.identity
                    && (other.certificateDirectives + other.keyDirectives).contains { $0.identity == directive.identity }
            }
            guard !sharers.isEmpty else { continue }
            throw PluginError(status: .conflict, field: "node",
                              message: "\(directive.location): \(directive.name) of server \(id) is also used by the "
                                  + "server blocks at \(sharers.map(\.directive.location).joined(separator: ", ")) "
                                  + "through an include; replace the include in \(server.directive.location) with its "
                                  + "own \(directive.name) lines so one server can change alone")
        }
    }

    private func replacing(_ directive: ConfigDirective, with path: String) -> ConfigEdit {
        ConfigEdit(file: directive.file, range: directive.arguments[0].range, replacement: ConfigEdit.argument(path))
    }

    private func inserting(_ lines: [String], after anchor: ConfigDirective) throws -> ConfigEdit {
        guard let bytes = configuration.files[anchor.file] else {
            throw PluginError(status: .internal, message: "\(anchor.file) was parsed but its bytes were not kept")
        }
        let layout = ConfigEdit.lineLayout(of: bytes, containing: anchor.endOffset - 1)
        let lead = layout.nextLineStart == bytes.count && bytes.last != UInt8(ascii: "\n") ? "\n" : ""
        let indentation = anchor.children == nil ? layout.indentation : layout.indentation + "    "
        let text = lead + lines.map { indentation + $0 + "\n" }.joined()
        return ConfigEdit(file: anchor.file, range: layout.nextLineStart..<layout.nextLineStart, replacement: text)
    }

    /// The line after which new directives go: the block's last server_name or
    /// listen written in its own file, else its opening line.
    private func anchor(in server: ServerBlock, id: String) throws -> ConfigDirective {
        let own = (server.directive.children ?? []).filter { $0.file == server.directive.file }
        if let last = own.last(where: { $0.name == "server_name" || $0.name == "listen" }) { return last }
        return server.directive
    }
}
