import OGPluginKit

// The library's one exported symbol; OGPluginKit does the negotiation and
// builds the C table for ApachePlugin.
@_cdecl("og_plugin_entry")
public func ogPluginEntry(_ offer: HostOfferPointer?, _ table: PluginTableOut?) -> Int32 {
    PluginExport.entry(ApachePlugin.self, offer: offer, table: table)
}
