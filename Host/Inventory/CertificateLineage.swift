import Foundation

/// "Lineage `lineage` belongs on `node` of endpoint `endpointID`": what
/// `cert deploy` installs the current version on and what the served-
/// certificate watch probes. Created by installing a named certificate and by
/// `cert bind`; removed by `cert unbind` and with its endpoint.
public struct CertificateBinding: Codable, Equatable, Sendable {

    public var lineage: String
    public var endpointID: String
    /// The plugin's node name; "" = the plugin's choice (what `tls install` without `--node` does).
    public var node: String
    /// The keystore alias, when one was given.
    public var alias: String?
    /// Set by the inventory when the binding is made.
    public package(set) var createdAt: Date

    public init(lineage: String, endpointID: String, node: String, alias: String?, createdAt: Date = Date()) {
        self.lineage = lineage
        self.endpointID = endpointID
        self.node = node
        self.alias = alias
        self.createdAt = createdAt
    }
}
