// One protocol per optional slot of og_plugin_api. A type that advertises a
// capability in its descriptor must conform to the matching protocol.

/// Proves the endpoint is reachable and the vendor software is there (`OG_CAP_TEST_CONNECTION`).
public protocol ConnectionTesting: EndpointPlugin {
    func testConnection(_ endpoint: Endpoint, host: HostServices) throws
}

/// Finds every TLS node of an endpoint (`OG_CAP_DISCOVER`).
public protocol NodeDiscovering: EndpointPlugin {
    func discoverNodes(_ endpoint: Endpoint, host: HostServices) throws -> [Node]
}

/// Turns an install request into file changes and verification targets
/// (`OG_CAP_INSTALL`). Must not change the endpoint; it may read it.
public protocol InstallPlanning: EndpointPlugin {
    func planInstall(_ request: InstallRequest, on endpoint: Endpoint, host: HostServices) throws -> InstallPlan
}

/// Runs the vendor's configuration test after the host wrote the plan's files
/// (`OG_CAP_CONFIG_TEST`). Throw `.configTest` with the tool's complaint when it fails.
public protocol ConfigTesting: EndpointPlugin {
    func configTest(_ endpoint: Endpoint, host: HostServices) throws
}

/// Makes the endpoint pick up what the host wrote (`OG_CAP_ACTIVATE`).
/// `request` is nil when the host re-activates restored files after a rollback.
public protocol Activating: EndpointPlugin {
    func activate(_ endpoint: Endpoint, request: InstallRequest?, host: HostServices) throws
}

/// Restarts the endpoint on the operator's request (`OG_CAP_RESTART`).
public protocol Restarting: EndpointPlugin {
    func restart(_ endpoint: Endpoint, host: HostServices) throws
}

/// Changes endpoints managed through an API rather than files (`OG_CAP_APPLY`).
public protocol InstallApplying: EndpointPlugin {
    /// Makes the vendor-side changes and returns an undo token the host
    /// journals; keep it self-contained, the host may hand it back after a crash.
    func applyInstall(_ request: InstallRequest, on endpoint: Endpoint, host: HostServices) throws -> [UInt8]
    /// Undoes what `applyInstall` did. Must be idempotent.
    func rollbackInstall(_ undoToken: [UInt8], on endpoint: Endpoint, host: HostServices) throws
}

/// Releases what an undo token kept only for a rollback, once the host verified the install (the
/// `finish_install` slot, ABI 1.1). Optional for `InstallApplying` plugins.
public protocol InstallFinishing: InstallApplying {
    /// Called after the host verified the endpoint serves what `applyInstall` installed; must be idempotent.
    func finishInstall(_ undoToken: [UInt8], on endpoint: Endpoint, host: HostServices) throws
}

// Each capability's operation for EndpointPlugin's `_…Operation` requirements: being more specific
// than EndpointPlugin's nil defaults, these are the ones a conforming type's witness table holds.
extension ConnectionTesting {
    public func _testConnectionOperation() -> ((Endpoint, HostServices) throws -> Void)? { testConnection }
}
extension NodeDiscovering {
    public func _discoverNodesOperation() -> ((Endpoint, HostServices) throws -> [Node])? { discoverNodes }
}
extension InstallPlanning {
    public func _planInstallOperation() -> ((InstallRequest, Endpoint, HostServices) throws -> InstallPlan)? { planInstall }
}
extension ConfigTesting {
    public func _configTestOperation() -> ((Endpoint, HostServices) throws -> Void)? { configTest }
}
extension Activating {
    public func _activateOperation() -> ((Endpoint, InstallRequest?, HostServices) throws -> Void)? { activate }
}
extension Restarting {
    public func _restartOperation() -> ((Endpoint, HostServices) throws -> Void)? { restart }
}
extension InstallApplying {
    public func _applyOperations() -> (apply: (InstallRequest, Endpoint, HostServices) throws -> [UInt8],
                                       rollback: ([UInt8], Endpoint, HostServices) throws -> Void)? {
        (applyInstall, rollbackInstall)
    }
}
extension InstallFinishing {
    public func _finishInstallOperation() -> (([UInt8], Endpoint, HostServices) throws -> Void)? { finishInstall }
}
