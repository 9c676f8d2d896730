import Foundation

/// Where a managed certificate was installed: one row per endpoint node,
/// written by the install job once the served certificate was verified.
public struct CertificateInstallation: Codable, Equatable, Sendable {
    public var certificateID: String
    public var endpointID: String
    /// The plugin's name for the node (vhost, connector, binding, keystore entry, ...).
    public var node: String
    /// Where the install verified the served certificate, `host:port`; nil for
    /// installations recorded before this was kept or by API installs without one.
    public var servedAddress: String? = nil
    /// The SNI name sent in that handshake, if any.
    public var servedName: String? = nil
    /// Set by the inventory each time the installation is recorded.
    public package(set) var installedAt: Date
}

/// What an install records about where a managed certificate went: the
/// installation row and, with `bindingNode` ("" = the plugin's choice), the
/// binding of a named certificate to the endpoint.
public struct InstallationRecording: Sendable, Equatable {
    public var certificateID: String
    public var endpointID: String
    public var node: String
    public var servedAddress: String?
    public var servedName: String?
    public var bindingNode: String?
    public var alias: String?

    public init(certificateID: String, endpointID: String, node: String, servedAddress: String? = nil,
                servedName: String? = nil, bindingNode: String? = nil, alias: String? = nil) {
        self.certificateID = certificateID
        self.endpointID = endpointID
        self.node = node
        self.servedAddress = servedAddress
        self.servedName = servedName
        self.bindingNode = bindingNode
        self.alias = alias
    }

    package func validate() throws {
        try RecordValidation.nonEmpty(node, field: "node")
    }
}
