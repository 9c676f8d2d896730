import OGPluginABI

/// What `og-host --version` reports: the release, the plugin ABI this host
/// offers (major.minor of `og_plugin.h`), and the commit it was built from.
public enum GatewayVersion {
    public static let release = "0.1.0"
    public static var pluginABI: String { "\(OG_ABI_MAJOR).\(OG_ABI_MINOR)" }
    /// Stamped at build time (`Host/BuildInfo`); "unknown" outside a git checkout.
    public static var commit: String { BuildInfo.commit }

    public static var text: String {
        "og-host \(release)\nplugin ABI \(pluginABI)\ncommit \(commit)"
    }
}
