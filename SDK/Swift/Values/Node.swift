/// One TLS-serving place on an endpoint: a server block, a virtual host, a
/// connector, a binding, a keystore entry.
public struct Node: Sendable, Hashable {
    /// Stable across discoveries and unique within the endpoint.
    public var id: String
    /// The primary server name, or the entry alias.
    public var name: String
    /// Further names (server aliases).
    public var aliases: [String]
    /// `"https"`, `"http"`, `"keystore"`.
    public var protocolName: String
    /// The IP or host it listens on; empty for keystore entries.
    public var address: String
    /// Nil for keystore entries.
    public var port: Int?
    /// Where its certificate is configured; empty when unknown.
    public var certificatePath: String
    /// The configured leaf (PEM or DER) if the plugin read it. Never a private key.
    public var certificate: [UInt8]
    /// One line for humans: `"file:line"`, entry type, ...
    public var detail: String
    /// The configured leaf's SHA-256 (lowercase hex) when the plugin knows it only by fingerprint, as an
    /// appliance that does not hand out certificates; "" otherwise. ABI 1.1.
    public var configuredSHA256: String = ""

    public init(id: String, name: String, aliases: [String] = [], protocolName: String = "https",
                address: String = "", port: Int? = nil, certificatePath: String = "", certificate: [UInt8] = [],
                detail: String = "") {
        self.id = id
        self.name = name
        self.aliases = aliases
        self.protocolName = protocolName
        self.address = address
        self.port = port
        self.certificatePath = certificatePath
        self.certificate = certificate
        self.detail = detail
    }
}
