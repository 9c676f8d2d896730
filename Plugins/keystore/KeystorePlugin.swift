import OGPluginKit

/// The keystore plugin: certificate files an application reads directly —
/// PKCS#12 (`p12`), Java KeyStore (`jks`) and PEM (`pem`) — plus the
/// operator's optional install and restart scripts.
///
/// Keys never pass through it: plans name the content kind and the host
/// writes the bytes; keystores are opened by the host, which holds the store
/// password. Every file access goes through `HostServices`, so local, SSH and
/// WinRM endpoints share one code path.
public struct KeystorePlugin: EndpointPlugin, ConnectionTesting, NodeDiscovering, InstallPlanning, ConfigTesting,
    Activating, Restarting {
    public static let descriptor = KeystoreDescriptor.plugin

    /// No state is kept between calls, so the host may run operations concurrently.
    public static let isThreadSafe = true

    public init() {}

    public func validate(_ endpoint: Endpoint, host: HostServices) throws {
        try EndpointValidation(target: KeystoreEndpoint(endpoint), host: host).run()
    }

    /// Reachable means the file can be described over the connection and is still a regular file.
    public func testConnection(_ endpoint: Endpoint, host: HostServices) throws {
        let target = try KeystoreEndpoint(endpoint)
        try EndpointFiles(host: host, platform: target.platform).requireRegularFile(
            target.path, option: "path", missingHint: "restore it or correct --path")
    }

    public func discoverNodes(_ endpoint: Endpoint, host: HostServices) throws -> [Node] {
        try NodeDiscovery(target: KeystoreEndpoint(endpoint), host: host).nodes()
    }

    public func planInstall(_ request: InstallRequest, on endpoint: Endpoint, host: HostServices) throws -> InstallPlan {
        try InstallPlanner(target: KeystoreEndpoint(endpoint), host: host).plan(request)
    }

    public func configTest(_ endpoint: Endpoint, host: HostServices) throws {
        try WrittenFileCheck(target: KeystoreEndpoint(endpoint), host: host).run()
    }

    /// Runs the install script, if any, with the installed alias; after a
    /// rollback (no request) with the configured one, so whatever depends on
    /// the file picks up the restored version too.
    public func activate(_ endpoint: Endpoint, request: InstallRequest?, host: HostServices) throws {
        let target = try KeystoreEndpoint(endpoint)
        guard let script = target.installScript else { return }
        let argument: String
        if let request, target.kind != .pem {
            argument = try InstallPlanner.alias(for: request, target: target)
        } else {
            argument = target.defaultScriptArgument
        }
        try EndpointScript(path: script, option: "install_script", target: target).run(arguments: [argument], host: host)
    }

    public func restart(_ endpoint: Endpoint, host: HostServices) throws {
        let target = try KeystoreEndpoint(endpoint)
        guard let script = target.restartScript else {
            throw PluginError(status: .notSupported, field: "restart_script",
                              message: "no --restart_script is configured for this endpoint, so there is nothing to "
                                  + "run; add the endpoint again with --restart_script <path of an executable script>")
        }
        try EndpointScript(path: script, option: "restart_script", target: target).run(arguments: [], host: host)
    }
}
