/// "Install this certificate on this node": what the host asks a plugin to plan, apply or activate.
public struct InstallRequest: Sendable, Hashable {
    /// A node id from discovery; nil = choose by the certificate's names.
    public var nodeID: String?
    /// Keystore alias or object name; nil = the plugin's default.
    public var alias: String?
    /// The leaf being installed.
    public var certificate: CertificateInfo
    /// How many intermediates accompany the leaf.
    public var chainLength: Int
    /// The host will only show the plan, not apply it.
    public var isDryRun: Bool

    public init(nodeID: String? = nil, alias: String? = nil, certificate: CertificateInfo, chainLength: Int = 0,
                isDryRun: Bool = false) {
        self.nodeID = nodeID
        self.alias = alias
        self.certificate = certificate
        self.chainLength = chainLength
        self.isDryRun = isDryRun
    }
}
