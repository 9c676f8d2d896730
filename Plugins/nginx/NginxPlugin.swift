import OGPluginKit

/// The nginx plugin: reads nginx.conf and its includes through the
/// connection, reports each TLS server block as a node, and plans installs
/// that write new per-node certificate files and repoint only that block.
/// The host writes, backs up, verifies and rolls back; the plugin tests the
/// configuration, checks keys against certificates and reloads.
public struct NginxPlugin: EndpointPlugin, ConnectionTesting, NodeDiscovering, InstallPlanning, ConfigTesting,
    Activating, Restarting {
    public static let descriptor = NginxDescriptor.plugin

    /// The only state kept between calls: the certificate/key pair a plan had the host write,
    /// until the configuration test of that install (see `HostWrittenPairs`).
    public static let isThreadSafe = true
    static let written = HostWrittenPairs()

    public init() {}

    /// A new endpoint must have a configuration og-host can read and understand.
    /// At add (and update) time: the configuration reads, and the account can write what an install
    /// changes (the files holding the TLS servers' certificate directives and the certificate
    /// directory), as itself or through the configured sudo.
    public func validate(_ endpoint: Endpoint, host: HostServices) throws {
        let target = try NginxEndpoint(endpoint, host: host)
        let configuration = try NginxConfiguration(target: target, host: host, forDiscovery: true)
        var files: [String] = []
        for (_, server) in configuration.tlsServers {
            files += server.effectiveCertificates.map(\.file) + [server.directive.file]
        }
        let directories = (try? host.stat(target.certificateDirectory).type) == .directory ? [target.certificateDirectory] : []
        try WriteAccess.require(files: files, directories: directories, platform: endpoint.platform, host: host)
    }

    public func testConnection(_ endpoint: Endpoint, host: HostServices) throws {
        let target = try NginxEndpoint(endpoint, host: host)
        let version = try NginxCommands(target: target, host: host).version()
        host.log(.info, "\(version); configuration \(target.configFile)")
    }

    public func discoverNodes(_ endpoint: Endpoint, host: HostServices) throws -> [Node] {
        try NginxConfiguration(target: NginxEndpoint(endpoint, host: host), host: host, forDiscovery: true).nodes
    }

    public func planInstall(_ request: InstallRequest, on endpoint: Endpoint, host: HostServices) throws -> InstallPlan {
        let configuration = try NginxConfiguration(target: NginxEndpoint(endpoint, host: host), host: host)
        let (plan, pair) = try InstallPlanner(configuration: configuration, host: host).plan(request)
        Self.written.remember(certificatePath: pair.certificatePath, keyPath: pair.keyPath, for: request, on: endpoint)
        return plan
    }

    /// Keys against certificates first (a mismatch must never reach a reload), then nginx -t.
    /// The pair this install wrote was proved on the gateway; every other pair is checked on the endpoint.
    public func configTest(_ endpoint: Endpoint, host: HostServices) throws {
        let target = try NginxEndpoint(endpoint, host: host)
        let configuration = try NginxConfiguration(target: target, host: host)
        let commands = NginxCommands(target: target, host: host)
        try commands.checkKeysMatchCertificates(configuration, provedOnTheGateway: Self.written.take(for: endpoint, host: host))
        try commands.testConfiguration()
    }

    /// Reloads, then, where the host takes it (ABI 1.2), waits until every worker of the old
    /// configuration stopped accepting and says so: the host then needs one handshake serving
    /// the new certificate instead of a settle window (see `WorkerRetirement`).
    public func activate(_ endpoint: Endpoint, request: InstallRequest?, host: HostServices) throws {
        let target = try NginxEndpoint(endpoint, host: host)
        var pidFile: String?
        if host.takesOldConfigurationRetired {
            let tree = try ConfigLoader(host: host, configDirectory: target.configDirectory).load(target.configFile)
            pidFile = WorkerRetirement.pidFile(tree, target: target)
            if pidFile == nil { host.log(.debug, "no proof that old workers retire: \(target.configFile) sets no pid file") }
        }
        let reloaded = try NginxCommands(target: target, host: host).reload(listingWorkersOf: pidFile)
        if let pidFile, let retirement = WorkerRetirement.listed(in: reloaded, pidFile: pidFile, host: host),
           retirement.awaitRetirement(host: host) {
            host.log(.debug, "every worker of the previous configuration (\(retirement.workers.map { String($0.pid) }.joined(separator: ", "))) "
                         + "has stopped accepting connections")
            try host.attestOldConfigurationRetired()
        }
    }

    /// The same checks as an install makes, so a restart never takes down a working server.
    public func restart(_ endpoint: Endpoint, host: HostServices) throws {
        let target = try NginxEndpoint(endpoint, host: host)
        let commands = NginxCommands(target: target, host: host)
        try commands.checkKeysMatchCertificates(NginxConfiguration(target: target, host: host), provedOnTheGateway: nil)
        try commands.testConfiguration()
        try NginxCommands(target: NginxEndpoint(endpoint, host: host), host: host).restart()
    }
}

// The library's one exported symbol; OGPluginKit builds the C table for NginxPlugin.
@_cdecl("og_plugin_entry")
public func ogPluginEntry(_ offer: HostOfferPointer?, _ table: PluginTableOut?) -> Int32 {
    PluginExport.entry(NginxPlugin.self, offer: offer, table: table)
}
