import OGPluginKit

/// The Tomcat plugin: finds the TLS connectors of conf/server.xml, installs
/// into their JKS/PKCS#12 keystores (entry replaced in place) or as new PEM
/// files with the connector's attributes pointed at them, checks keys match
/// their certificates before any restart, and restarts Tomcat (or, when the
/// operator chooses --reload_method jmx, reloads the changed connectors'
/// certificates through the manager's JMX proxy).
///
/// Keys never pass through it, and every file and command goes through
/// `HostServices`, so local and SSH endpoints share one code path.
public struct TomcatPlugin: EndpointPlugin, ConnectionTesting, NodeDiscovering, InstallPlanning, ConfigTesting,
    Activating, Restarting {
    public static let descriptor = TomcatDescriptor.plugin

    /// No state is kept between calls.
    public static let isThreadSafe = true

    public init() {}

    public func validate(_ endpoint: Endpoint, host: HostServices) throws {
        try testConnection(endpoint, host: host)
        let target = try TomcatEndpoint(endpoint)
        let configuration = try ServerXMLReader(target: target, host: host).read()
        try checkKeystorePassword(target, configuration: configuration, host: host)
        // What installs write: existing keystores in place; for PEM connectors new files in the
        // certificate directory and server.xml. The account (or its sudo) must be able to.
        var files: [String] = [], directories: [String] = []
        for node in configuration.nodes {
            switch node.certificate.source {
            case .keystore(let keystore):
                files.append(keystore.path)
            case .pem:
                files.append(configuration.document.path)
                if (try? host.stat(target.certificateDirectory).type) == .directory { directories.append(target.certificateDirectory) }
            }
        }
        try WriteAccess.require(files: files.filter { (try? host.stat($0).type) == .regular }, directories: directories,
                                platform: endpoint.platform, host: host)
        if let manager = target.manager {
            try JMXReload(manager: manager, host: host).checkCredentials()
            let pemConnectors = configuration.nodes.filter { if case .pem = $0.certificate.source { true } else { false } }
            if !pemConnectors.isEmpty, pemConnectors.count == configuration.nodes.count {
                throw PluginError(status: .invalidArgument, field: "reload_method",
                                  message: "jmx cannot install into this Tomcat: every TLS connector takes PEM files, "
                                      + "which only a restart re-reads; use --reload_method restart")
            }
            for node in pemConnectors {
                host.log(.warning, "connector \(node.id) takes PEM files: with --reload_method jmx installs into it "
                             + "are refused (only a restart re-reads PEM files); its keystore connectors reload")
            }
        }
    }

    /// At add time: --keystore_password must open at least one keystore a
    /// connector uses (when any of them could tell), or every install into
    /// them would be refused later. Keystores it does not open are named.
    private func checkKeystorePassword(_ target: TomcatEndpoint, configuration: ServerConfiguration,
                                       host: HostServices) throws {
        guard let given = target.keystorePassword else { return }
        var seen = Set<String>()
        var opened = 0
        var refusals: [String] = [], others: [String] = []
        for node in configuration.nodes {
            guard case .keystore(let keystore) = node.certificate.source, seen.insert(keystore.path).inserted else { continue }
            if keystore.usesPasswordFile {
                others.append("\(keystore.path) (its password is in a file og-host does not read)")
            } else if keystore.password != given {
                refusals.append("\(keystore.path) (server.xml gives it another password)")
            } else if (try? host.stat(keystore.path).type) != .regular {
                others.append("\(keystore.path) (does not exist yet)")
            } else {
                do {
                    _ = try KeystoreEntryChoice(keystore: keystore, host: host).read()
                    opened += 1
                } catch let error as PluginError {
                    refusals.append("\(keystore.path) (\(error.message))")
                }
            }
        }
        if opened == 0, !refusals.isEmpty, others.isEmpty {
            throw PluginError(status: .invalidArgument, field: TomcatEndpoint.keystorePasswordOption,
                              message: "opens none of the connectors' keystores: " + refusals.joined(separator: "; ")
                                  + "; give the password server.xml uses for them")
        }
        for problem in refusals + others {
            host.log(.warning, "--keystore_password does not open \(problem); installs into it will be refused")
        }
    }

    /// Reachable means catalina.sh is there (unless a service unit runs
    /// Tomcat) and server.xml can be read and understood.
    public func testConnection(_ endpoint: Endpoint, host: HostServices) throws {
        let target = try TomcatEndpoint(endpoint)
        if target.serviceName == nil, try host.stat(target.catalinaScript).type != .regular {
            throw PluginError(status: .notFound, field: "tomcat_dir",
                              message: "\(target.catalinaScript) does not exist on the endpoint; give Tomcat's "
                                  + "installation directory (CATALINA_HOME) with --tomcat_dir")
        }
        _ = try ServerXMLReader(target: target, host: host).read()
    }

    public func discoverNodes(_ endpoint: Endpoint, host: HostServices) throws -> [Node] {
        try NodeDiscovery(target: TomcatEndpoint(endpoint), host: host).nodes()
    }

    public func planInstall(_ request: InstallRequest, on endpoint: Endpoint, host: HostServices) throws -> InstallPlan {
        try InstallPlanner(target: TomcatEndpoint(endpoint), host: host).plan(request)
    }

    public func configTest(_ endpoint: Endpoint, host: HostServices) throws {
        let target = try TomcatEndpoint(endpoint)
        ActivationMarker(target: target, host: host).markIdle()
        try ConfigCheck(target: target, host: host).run()
    }

    /// Tomcat loads certificates when connectors start, so an install takes a
    /// restart, or with --reload_method jmx a reloadSslHostConfigs of the
    /// connectors it changed; a rollback repeats that only if the install got
    /// as far as its activation.
    public func activate(_ endpoint: Endpoint, request: InstallRequest?, host: HostServices) throws {
        let target = try TomcatEndpoint(endpoint)
        let marker = ActivationMarker(target: target, host: host)
        if request == nil, !marker.needsRestartAfterRollback() {
            host.log(.info, "Tomcat was not reloaded by this install, so it still runs the restored configuration")
            return
        }
        marker.markRestarted()
        guard let manager = target.manager else {
            try TomcatControl(target: target, host: host).restart()
            return
        }
        let configuration = try ServerXMLReader(target: target, host: host).read()
        let ports = try request.map { try Self.changedPorts($0, in: configuration) } ?? configuration.tlsPorts
        try JMXReload(manager: manager, host: host).reload(ports: ports)
    }

    /// The chosen node's connector and every connector serving the same keystore file.
    private static func changedPorts(_ request: InstallRequest, in configuration: ServerConfiguration) throws -> [Int] {
        let node = try NodeChoice(nodes: configuration.nodes).choose(for: request)
        guard case .keystore(let keystore) = node.certificate.source else { return [node.port] }
        return [node.port] + configuration.nodes.compactMap {
            guard case .keystore(let other) = $0.certificate.source, other.path == keystore.path else { return nil }
            return $0.port
        }
    }

    public func restart(_ endpoint: Endpoint, host: HostServices) throws {
        try TomcatControl(target: TomcatEndpoint(endpoint), host: host).restart()
    }
}
