import OGPluginKit

// The library's one exported symbol; OGPluginKit does the negotiation and
// builds the C table for TomcatPlugin.
@_cdecl("og_plugin_entry")
public func ogPluginEntry(_ offer: HostOfferPointer?, _ table: PluginTableOut?) -> Int32 {
    PluginExport.entry(TomcatPlugin.self, offer: offer, table: table)
}
