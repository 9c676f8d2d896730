import OGPluginABI

/// What the host may ask of an endpoint type (`OG_CAP_*`). The host calls an
/// operation only when the type advertises it here AND the plugin conforms to
/// the matching capability protocol; the kit refuses to load a plugin that
/// advertises a capability it does not implement.
public struct Capabilities: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Requires `ConnectionTesting`.
    public static let testConnection = Capabilities(rawValue: OG_CAP_TEST_CONNECTION)
    /// Requires `NodeDiscovering`.
    public static let discover = Capabilities(rawValue: OG_CAP_DISCOVER)
    /// Requires `InstallPlanning`.
    public static let install = Capabilities(rawValue: OG_CAP_INSTALL)
    /// Requires `ConfigTesting`.
    public static let configTest = Capabilities(rawValue: OG_CAP_CONFIG_TEST)
    /// Requires `Activating`.
    public static let activate = Capabilities(rawValue: OG_CAP_ACTIVATE)
    /// Requires `Restarting`.
    public static let restart = Capabilities(rawValue: OG_CAP_RESTART)
    /// Requires `InstallApplying`.
    public static let apply = Capabilities(rawValue: OG_CAP_APPLY)
    /// Install plans carry TLS targets the host should handshake with; requires `.install`.
    public static let verifyServed = Capabilities(rawValue: OG_CAP_VERIFY_SERVED)
}
