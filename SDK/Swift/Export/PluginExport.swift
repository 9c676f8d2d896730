#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import OGPluginABI

/// The host's offer, as `og_plugin_entry` receives it.
public typealias HostOfferPointer = UnsafePointer<og_host_offer>
/// Where `og_plugin_entry` puts the plugin's table.
public typealias PluginTableOut = UnsafeMutablePointer<UnsafePointer<og_plugin_api>?>

/// Connects a Swift plugin type to the C ABI. A plugin library exports one
/// forwarding function and nothing else:
///
/// ```swift
/// @_cdecl("og_plugin_entry")
/// public func ogPluginEntry(_ offer: HostOfferPointer?, _ table: PluginTableOut?) -> Int32 {
///     PluginExport.entry(MyPlugin.self, offer: offer, table: table)
/// }
/// ```
public enum PluginExport {
    /// Negotiates the ABI with the host and hands it the plugin's table.
    ///
    /// Accepts major 1 when the host speaks at least the minor the kit needs,
    /// otherwise returns `OG_ERR_ABI_MISMATCH` and leaves `table` untouched.
    /// The descriptor and table are built on the first call for a type and
    /// returned again on later calls. A plugin whose descriptor is defective
    /// (see `problems(in:)`) is refused with `OG_ERR_INTERNAL` and its
    /// problems are written to standard error, the only channel open before
    /// negotiation succeeds.
    public static func entry<Plugin: EndpointPlugin>(_ type: Plugin.Type, offer: HostOfferPointer?,
                                                     table: PluginTableOut?) -> Int32 {
        guard let table else { return OG_ERR_INVALID_ARGUMENT }
        let host: HostAPI
        switch Negotiation.accept(offer) {
        case .success(let accepted): host = accepted
        case .failure(let failure): return failure.status
        }
        switch PluginRegistry.shared.register(PluginCandidate(type)) {
        case .success(let registration):
            PluginRegistry.shared.adopt(host)
            table.pointee = registration.table(answering: Negotiation.offeredMinor(offer))
            return OG_OK
        case .failure(.problems(let problems)):
            writeToStandardError(problems.map { "og-plugin \(Plugin.descriptor.name): \($0)\n" }.joined())
            return OG_ERR_INTERNAL
        case .failure(.full):
            writeToStandardError("og-plugin \(Plugin.descriptor.name): too many plugin types in one process\n")
            return OG_ERR_INTERNAL
        }
    }

    /// Every reason the kit would refuse to load `type`: descriptor defects
    /// and capabilities advertised without their protocol. Empty means
    /// loadable; call it from the plugin's own tests.
    public static func problems<Plugin: EndpointPlugin>(in type: Plugin.Type) -> [String] {
        PluginCandidate(type).problems
    }

    private static func writeToStandardError(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            var remaining = UnsafeRawBufferPointer(utf8)
            while !remaining.isEmpty {
                let written = write(2, remaining.baseAddress, remaining.count)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                remaining = UnsafeRawBufferPointer(rebasing: remaining[written...])
            }
        }
    }
}
