/// What installing a certificate on a node takes: file changes the host
/// applies as one transaction, and listeners it handshakes with afterwards.
public struct InstallPlan: Sendable, Hashable {
    /// One line: what will happen.
    public var summary: String
    /// The node the plan installs on.
    public var nodeID: String
    /// Applied by the host in order.
    public var changes: [FileChange]
    /// May be empty.
    public var verify: [VerifyTarget]

    public init(summary: String, nodeID: String, changes: [FileChange], verify: [VerifyTarget] = []) {
        self.summary = summary
        self.nodeID = nodeID
        self.changes = changes
        self.verify = verify
    }
}

/// A TLS listener the host should handshake with after activation to prove
/// the new certificate is served.
public struct VerifyTarget: Sendable, Hashable {
    /// Where to connect, as seen from the gateway.
    public var host: String
    public var port: Int
    /// SNI; nil = none.
    public var serverName: String?

    public init(host: String, port: Int, serverName: String? = nil) {
        self.host = host
        self.port = port
        self.serverName = serverName
    }
}
