import OGPluginKit

// The library's one exported symbol. Everything about pointers, negotiation
// and the C table lives in OGPluginKit; this function only names the type.
@_cdecl("og_plugin_entry")
public func ogPluginEntry(_ offer: HostOfferPointer?, _ table: PluginTableOut?) -> Int32 {
    PluginExport.entry(HelloSwiftPlugin.self, offer: offer, table: table)
}
