import OGPluginABI
import Testing
@testable import OGPluginKit

/// Plugin tables obtained the way og-host obtains them: through the entry
/// function, offered the fake host.
enum Loaded {
    static func table<Plugin: EndpointPlugin>(_ type: Plugin.Type) throws -> UnsafePointer<og_plugin_api> {
        var offer = FakeHost.shared.offer()
        var table: UnsafePointer<og_plugin_api>?
        let status = PluginExport.entry(type, offer: &offer, table: &table)
        try #require(status == OG_OK, "entry refused \(type): status \(status)")
        return try #require(table)
    }

    static func services(for call: OpaquePointer, table: UnsafePointer<og_host_api> = UnsafePointer(FakeHost.shared.table))
        -> HostServices {
        HostServices(host: HostAPI(table: table), call: call)
    }
}
