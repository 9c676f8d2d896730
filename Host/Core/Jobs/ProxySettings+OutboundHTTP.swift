import OGConnections
import OGMaterial

/// The one place the host builds HTTP clients and REST connections, so the
/// configured outbound proxy and the operator's trust anchors
/// (`TrustAnchorSource.operatorAnchors`, beside the system store) apply to
/// every one of them.
public struct OutboundHTTP {
    public let gateway: Gateway

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    /// The configured proxy with its password, or nil for direct connections.
    public func proxy() throws -> HTTPProxy? {
        try ProxySettings.load(gateway)?.httpProxy(gateway)
    }

    /// An HTTP client for `configuration`, with the configured proxy (replacing
    /// any it names); a verifying client also trusts the operator's anchors.
    public func client(_ configuration: HTTPClientConfiguration = HTTPClientConfiguration()) throws -> HTTPClient {
        var configuration = configuration
        configuration.proxy = try proxy()
        if case .verify(let extra) = configuration.trust {
            configuration.trust = .verify(additionalAnchors: try TrustAnchorSource.operatorAnchors(gateway: gateway) + extra)
        }
        do {
            return try HTTPClient(configuration)
        } catch let error as HTTPError {
            throw GatewayError("\(error)")
        }
    }

    /// A REST connection that trusts the system store plus og-host's trust
    /// anchors (`og-host ca`) and goes through the configured proxy.
    public func restConnection(_ spec: ConnectionSpec) throws -> RESTConnection {
        let anchors = try TrustAnchorSource.operatorAnchors(gateway: gateway)
        return try RESTConnection(spec: spec, additionalAnchors: anchors, proxy: try proxy())
    }
}
