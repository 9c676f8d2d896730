import OGPluginKit

/// An endpoint's whole nginx configuration as read through the connection:
/// the raw files, the directive tree and the TLS server blocks as nodes.
struct NginxConfiguration {
    let target: NginxEndpoint
    let files: [String: [UInt8]]
    let servers: [ServerBlock]
    /// TLS servers with their stable node ids, in configuration order.
    let tlsServers: [(id: String, server: ServerBlock)]

    /// Site files (included inside http { }) discovery could not read: not part of `servers`.
    let skipped: [(path: String, reason: String)]

    /// `forDiscovery` lists what can be read and names the site files it could not read
    /// (`skipped`); otherwise any unreadable file fails, as an install must.
    init(target: NginxEndpoint, host: HostServices, forDiscovery: Bool = false) throws {
        self.target = target
        let loader = ConfigLoader(host: host, configDirectory: target.configDirectory, toleratesUnreadableSites: forDiscovery)
        let tree = try loader.load(target.configFile)
        try Self.refuseSiteFragment(tree, configFile: target.configFile)
        files = loader.files
        skipped = loader.skipped
        for (path, reason) in skipped {
            host.log(.warning, "discovery incomplete: \(path) could not be read (\(reason)); "
                         + "TLS servers defined there are not listed, and installs stay refused until og-host can read "
                         + "it (grant read access or configure --sudo)")
        }
        servers = try ServerBlock.all(in: tree)
        var used: [String: Int] = [:]
        var identified: [(id: String, server: ServerBlock)] = []
        for server in servers where server.isTLS {
            let name = server.primaryName.isEmpty ? "_" : server.primaryName
            let base = "\(name):\(Self.preferredListen(server).port)"
            used[base, default: 0] += 1
            // A second block with the same name and port is told apart by its order.
            let id = used[base] == 1 ? base : "\(base)#\(used[base]!)"
            identified.append((id, server))
        }
        tlsServers = identified
    }

    /// A file with `server {}` (or other http-level directives) at its top is a
    /// site fragment, as found in sites-enabled/ or conf.d/: nginx refuses it as
    /// a main configuration ("directive is not allowed here"), and reading it as
    /// one would report no nodes at all. Say so, with the fix.
    static func refuseSiteFragment(_ tree: [ConfigDirective], configFile: String) throws {
        let httpOnly: Set<String> = ["server", "location", "listen", "server_name", "upstream", "ssl_certificate",
                                     "ssl_certificate_key", "root", "proxy_pass"]
        guard let misplaced = tree.first(where: { httpOnly.contains($0.name) }) else { return }
        let main = tree.contains { $0.name == "http" }
        throw PluginError(status: .parse, field: "nginx_config_path",
                          message: "\(misplaced.location): \"\(misplaced.name)\" is not allowed at the top of a main "
                              + "configuration (nginx -t refuses it there); \(configFile) "
                              + (main ? "mixes a site fragment into the main configuration; move it inside http { }"
                                      : "looks like a site fragment (as in sites-enabled/ or conf.d/); give the main "
                                        + "configuration that includes it, usually /etc/nginx/nginx.conf, with --nginx_config_path"))
    }

    /// The listener a node is reported and verified at: IPv4 first, as most clients try it first.
    static func preferredListen(_ server: ServerBlock) -> ListenAddress {
        let tls = server.tlsListens
        return tls.first { !$0.isIPv6 } ?? tls[0]
    }

    /// The certificate file a server uses, when it names exactly one without variables.
    func literalPath(_ directives: [ConfigDirective]) -> String? {
        guard directives.count == 1, let value = directives[0].arguments.first?.text,
              !value.contains("$"), !value.hasPrefix("data:"), !value.hasPrefix("engine:") else { return nil }
        return PathText.resolve(value, against: target.configDirectory)
    }

    var nodes: [Node] {
        tlsServers.map { id, server in
            let listen = Self.preferredListen(server)
            let flags = server.tlsListens.contains(where: \.isDefaultServer) ? ", default_server" : ""
            let listens = server.tlsListens.map(\.displayText).joined(separator: " ")
            return Node(id: id, name: server.primaryName, aliases: Array(server.names.dropFirst()), protocolName: "https",
                        address: listen.address, port: listen.port,
                        certificatePath: literalPath(server.effectiveCertificates) ?? "",
                        detail: "\(server.directive.location) listen \(listens)\(flags)")
        }
    }
}
