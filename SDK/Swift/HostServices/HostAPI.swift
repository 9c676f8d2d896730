import OGPluginABI

/// The host's services table, kept from negotiation for every later call.
struct HostAPI: @unchecked Sendable {
    // @unchecked is sound: og_plugin.h makes the table read-only and valid
    // until the process exits, so sharing the pointer between threads is safe.
    let table: UnsafePointer<og_host_api>

    /// The service, or nil when the host left it NULL or its table is too
    /// small to hold it (an older host).
    func slot<Function>(_ field: KeyPath<og_host_api, Function?>) -> Function? {
        SizedStruct(table).read(field) ?? nil
    }
}
