import OGPluginKit

/// The README's "A plugin in Swift" example, built out of tree against the
/// installed SDK alone, then checked by the real og-host.
public struct OutOfTreePlugin: EndpointPlugin, ConnectionTesting, InstallPlanning {
    public static let descriptor = PluginDescriptor(
        name: "out-of-tree", version: "1.0.0", license: "Apache-2.0", summary: "A plugin built outside og-host's tree",
        types: [EndpointTypeDescriptor(
            name: "oot_file", summary: "One certificate file", connectionTypes: [.local, .ssh],
            capabilities: [.testConnection, .install],
            options: [OptionSchema(name: "path", kind: .path, isRequired: true, minimum: 1, maximum: 4096,
                                   help: "Absolute path of the certificate file.")])])

    public init() {}

    public func testConnection(_ endpoint: Endpoint, host: HostServices) throws {
        let path = try endpoint.string("path")
        guard try host.stat(path).exists else {
            throw PluginError(status: .notFound, field: "path", message: "\(path) does not exist; correct --path")
        }
    }

    public func planInstall(_ request: InstallRequest, on endpoint: Endpoint, host: HostServices) throws -> InstallPlan {
        let path = try endpoint.string("path")
        // The schema bounds what operators type; a stored record may still hold anything.
        guard path.hasPrefix("/"), path.utf8.count <= 4096 else {
            throw PluginError(status: .invalidArgument, field: "path", message: "must be an absolute path of at most 4096 bytes")
        }
        return InstallPlan(summary: "write the full chain to \(path)", nodeID: path, changes: [.fullChainPEM(path)])
    }
}

@_cdecl("og_plugin_entry")
public func ogPluginEntry(_ offer: HostOfferPointer?, _ table: PluginTableOut?) -> Int32 {
    PluginExport.entry(OutOfTreePlugin.self, offer: offer, table: table)
}
