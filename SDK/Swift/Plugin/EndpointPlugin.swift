/// An endpoint plugin written as an ordinary Swift type.
///
/// The kit creates one instance with `init()` when the host loads the plugin
/// and calls it for every operation. Unless `isThreadSafe` is true the host
/// never calls two operations at once, so the instance needs no locking.
/// Conform to the capability protocols (`ConnectionTesting`,
/// `NodeDiscovering`, ...) for the operations the plugin supports; the kit
/// fills the matching C slots and leaves the others NULL.
public protocol EndpointPlugin {
    /// What the plugin is and the endpoint types it serves.
    static var descriptor: PluginDescriptor { get }
    /// True when operations may run concurrently on the one instance.
    static var isThreadSafe: Bool { get }
    init()
    /// Checks a new endpoint's options beyond what the schema says (the host
    /// has checked the schema). Throw a `PluginError` naming the option.
    func validate(_ endpoint: Endpoint, host: HostServices) throws

    // The kit's, not the plugin's: each capability protocol's operation, or nil. The defaults below
    // (nil) and in CapabilityProtocols.swift (the operation) are chosen when the plugin is compiled,
    // from the protocols its type conforms to, so loading a plugin casts nothing at run time (eight
    // `as? any Capability` casts cost ~2.5 M instructions of Swift runtime conformance look-ups per
    // process). Never implement them.
    func _testConnectionOperation() -> ((Endpoint, HostServices) throws -> Void)?
    func _discoverNodesOperation() -> ((Endpoint, HostServices) throws -> [Node])?
    func _planInstallOperation() -> ((InstallRequest, Endpoint, HostServices) throws -> InstallPlan)?
    func _configTestOperation() -> ((Endpoint, HostServices) throws -> Void)?
    func _activateOperation() -> ((Endpoint, InstallRequest?, HostServices) throws -> Void)?
    func _restartOperation() -> ((Endpoint, HostServices) throws -> Void)?
    func _applyOperations() -> (apply: (InstallRequest, Endpoint, HostServices) throws -> [UInt8],
                                rollback: ([UInt8], Endpoint, HostServices) throws -> Void)?
    func _finishInstallOperation() -> (([UInt8], Endpoint, HostServices) throws -> Void)?
}

extension EndpointPlugin {
    public static var isThreadSafe: Bool { false }
    public func validate(_ endpoint: Endpoint, host: HostServices) throws {}

    // No capability unless a capability protocol's extension (CapabilityProtocols.swift) says otherwise.
    public func _testConnectionOperation() -> ((Endpoint, HostServices) throws -> Void)? { nil }
    public func _discoverNodesOperation() -> ((Endpoint, HostServices) throws -> [Node])? { nil }
    public func _planInstallOperation() -> ((InstallRequest, Endpoint, HostServices) throws -> InstallPlan)? { nil }
    public func _configTestOperation() -> ((Endpoint, HostServices) throws -> Void)? { nil }
    public func _activateOperation() -> ((Endpoint, InstallRequest?, HostServices) throws -> Void)? { nil }
    public func _restartOperation() -> ((Endpoint, HostServices) throws -> Void)? { nil }
    public func _applyOperations() -> (apply: (InstallRequest, Endpoint, HostServices) throws -> [UInt8],
                                       rollback: ([UInt8], Endpoint, HostServices) throws -> Void)? { nil }
    public func _finishInstallOperation() -> (([UInt8], Endpoint, HostServices) throws -> Void)? { nil }
}
