import OGPluginABI

/// What `og-host --version` reports: the release, the plugin ABI this host
/// offers (major.minor of `og_plugin.h`), and the commit it was built from.
public enum GatewayVersion {
    public static let release = "0.1.0"
    public static var pluginABI: String { "\(OG_ABI_MAJOR).\(OG_ABI_MINOR)" }
    /// Stamped at build time (`Host/BuildInfo`); "unknown" outside a git checkout.
    public static var commit: String { BuildInfo.commit }

    /// The Swift release (major.minor) this host was compiled with. Swift
    /// plugins share the host's Swift runtime, and Swift on Linux has no ABI
    /// stability across releases, so a Swift plugin must be built with this
    /// same release (SDK/README.md, "Which Swift, which host").
    public static var swiftRelease: String {
        #if compiler(>=7.0)
        return "7.0 or later"
        #elseif compiler(>=6.5)
        return "6.5"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }

    public static var text: String {
        "og-host \(release)\nplugin ABI \(pluginABI)\nSwift plugins: Swift \(swiftRelease)\ncommit \(commit)"
    }
}
