import OGPluginKit

/// The `f5` endpoint type: a BIG-IP (15.1–17.1) managed through iControl REST
/// with an Administrator account. The host owns --host/--port/--user/--password
/// and --store/--store_cred_id; the options here are what the API needs beyond them.
enum F5Descriptor {
    static let plugin = PluginDescriptor(
        name: "f5",
        version: "1.0.0",
        license: "Apache-2.0",
        summary: "F5 BIG-IP: client-SSL profiles as nodes; installs as one iControl REST transaction with versioned objects",
        types: [f5])

    static let f5 = EndpointTypeDescriptor(
        name: "f5",
        summary: "An F5 BIG-IP reached through iControl REST: one node per client-SSL profile",
        connectionTypes: [.rest, .restInsecure],
        capabilities: [.testConnection, .discover, .install, .apply, .verifyServed],
        options: [
            OptionSchema(name: "partition", kind: .string, minimum: 1, maximum: 64, defaultValue: "Common",
                         help: "The administrative partition whose client-SSL profiles are the nodes and where new "
                             + "key and certificate objects are installed."),
            OptionSchema(name: "device_group", kind: .string, minimum: 1, maximum: 255,
                         help: "The sync-failover device group to config-sync after an install. By default the one "
                             + "sync-failover group the device belongs to; none when it is standalone."),
            OptionSchema(name: "sync_timeout", kind: .integer, minimum: 5, maximum: 3600, defaultValue: "120",
                         help: "Seconds to wait for the device group to report In Sync after config-sync."),
            OptionSchema(name: "key_transfer", kind: .enumeration(["pem", "pkcs12"]), defaultValue: "pem",
                         help: "How the key reaches the device: pem uploads key and certificate as PEM and installs "
                             + "each; pkcs12 uploads one PKCS#12 under a one-time passphrase the gateway makes and "
                             + "installs it with sys crypto pkcs12 (objects then carry no .key/.crt suffix)."),
            OptionSchema(name: "retain_replaced", kind: .enumeration(["delete", "keep"]), defaultValue: "delete",
                         help: "What happens to the key and certificate objects an install replaced, once the new "
                             + "pair is verified on every virtual server: delete them, or keep them for a manual revert."),
        ])
}
