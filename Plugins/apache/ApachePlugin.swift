import OGPluginKit

/// The Apache httpd plugin: TLS virtual hosts discovered from the real
/// configuration, installs planned as new certificate/key files plus edits of
/// the chosen virtual host's directives, a configuration test and a key check
/// before every graceful restart. The host writes, backs up, verifies by
/// handshake and rolls back; this type only reads and runs apachectl/openssl.
public struct ApachePlugin: EndpointPlugin, ConnectionTesting, NodeDiscovering, InstallPlanning, ConfigTesting,
    Activating, Restarting {
    public static let descriptor = ApacheDescriptor.plugin

    /// The only state kept between calls: the certificate/key pair a plan had the host write,
    /// until the configuration test of that install (see `HostWrittenPairs`).
    public static let isThreadSafe = true
    static let written = HostWrittenPairs()

    public init() {}

    /// At add (and update) time: apachectl and the configuration are there, and the account can write
    /// what an install changes (the files holding the TLS virtual hosts' certificate directives, the
    /// certificate directory), as itself or through the configured sudo. A configuration this plugin
    /// cannot read does not block the add: `tls nodes` says why, and installs are refused.
    public func validate(_ endpoint: Endpoint, host: HostServices) throws {
        try testConnection(endpoint, host: host)
        let target = try ApacheEndpoint(endpoint, host: host)
        guard let hosts = try? tlsHosts(target, host: host) else { return }
        var files: [String] = [], directories: [String] = []
        if let directory = target.certificateDirectory { directories.append(directory) }
        for tls in hosts {
            let block = tls.block
            files += (block.certificateFiles + block.keyFiles + block.chainFiles + (block.sslEngine.map { [$0] } ?? []))
                .map(\.line.file)
            if target.certificateDirectory == nil, let current = tls.certificateFile?.arguments.first {
                directories.append(ConfigPath.directory(of: current))
            }
        }
        try WriteAccess.require(files: files, directories: directories, platform: endpoint.platform, host: host)
    }

    /// Reachable means apachectl runs and the main configuration file is there.
    public func testConnection(_ endpoint: Endpoint, host: HostServices) throws {
        let control = try endpoint.string("apachectl_path")
        guard try host.stat(control).exists else {
            throw PluginError(status: .notFound, field: "apachectl_path",
                              message: "\(control) does not exist on the endpoint; install apache2 or correct "
                                  + "--apachectl_path")
        }
        let target = try ApacheEndpoint(endpoint, host: host)
        guard try host.stat(target.configFile).exists else {
            throw PluginError(status: .notFound, field: "apache_config_file",
                              message: "\(target.configFile) does not exist; correct --apache_config_file or "
                                  + "--apache_server_root")
        }
    }

    public func discoverNodes(_ endpoint: Endpoint, host: HostServices) throws -> [Node] {
        let target = try ApacheEndpoint(endpoint, host: host)
        let nodes = try tlsHosts(target, host: host).map { $0.node(endpointHost: endpoint.host) }
        if nodes.isEmpty {
            // A wrapper apachectl (or a second instance) may run another configuration than the one read:
            // say which one this was and where it came from, so an empty answer is never silent.
            let origin = endpoint.options["apache_config_file"] != nil || endpoint.options["apache_server_root"] != nil
                ? "as given with --apache_server_root/--apache_config_file"
                : "the compiled-in default that \(target.control) -V reports"
            host.log(.warning, "no TLS virtual host found in \(target.configFile) (server root \(target.serverRoot), "
                         + "\(origin)); if your server runs another configuration, give it with --apache_server_root "
                         + "and --apache_config_file")
        }
        return nodes
    }

    public func planInstall(_ request: InstallRequest, on endpoint: Endpoint, host: HostServices) throws -> InstallPlan {
        let (plan, pair) = try InstallPlanner(target: ApacheEndpoint(endpoint, host: host), host: host).plan(request)
        Self.written.remember(certificatePath: pair.certificatePath, keyPath: pair.keyPath, for: request, on: endpoint)
        return plan
    }

    /// httpd's own test, then the key/certificate pairs it does not check. The pair this install
    /// wrote was proved on the gateway; every other pair is checked on the endpoint.
    public func configTest(_ endpoint: Endpoint, host: HostServices) throws {
        let target = try ApacheEndpoint(endpoint, host: host)
        try target.runControl(["-t"], host: host, failure: .configTest, what: "the configuration test")
        try KeyPairCheck(host: host).run(tlsHosts(target, host: host), provedOnTheGateway: Self.written.take(for: endpoint, host: host))
    }

    /// A graceful restart: running requests finish, new ones get the new
    /// certificates. The same after a rollback, for the restored files; the
    /// pairs are checked again first because a mismatch would stop httpd.
    public func activate(_ endpoint: Endpoint, request: InstallRequest?, host: HostServices) throws {
        let target = try ApacheEndpoint(endpoint, host: host)
        if request == nil {
            try KeyPairCheck(host: host).run(tlsHosts(target, host: host))
        }
        try target.runControl(["-k", "graceful"], host: host, failure: .commandFailed, what: "the graceful restart")
    }

    public func restart(_ endpoint: Endpoint, host: HostServices) throws {
        let target = try ApacheEndpoint(endpoint, host: host)
        try target.runControl(["-t"], host: host, failure: .configTest, what: "the configuration test")
        try KeyPairCheck(host: host).run(tlsHosts(target, host: host))
        try target.runControl(["-k", "restart"], host: host, failure: .commandFailed, what: "the restart")
    }

    private func tlsHosts(_ target: ApacheEndpoint, host: HostServices) throws -> [TLSVirtualHost] {
        try TLSVirtualHost.all(in: ConfigReader.read(target, host: host), endpointHost: target.endpoint.host)
    }
}
