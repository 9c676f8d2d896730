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
}

extension EndpointPlugin {
    public static var isThreadSafe: Bool { false }
    public func validate(_ endpoint: Endpoint, host: HostServices) throws {}
}
