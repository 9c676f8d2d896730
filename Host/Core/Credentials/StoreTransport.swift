import OGConnections
import OGCredentials
import OGMaterial

/// Backs the external store clients with the host's HTTP client: TLS verified
/// against the system store plus the gateway's trust anchors, the configured
/// outbound proxy, and a client certificate when the store authenticates with one.
enum StoreTransport {
    static func send(gateway: Gateway, clientIdentity: HTTPClientIdentity? = nil) throws -> StoreHTTP.Send {
        // Through OutboundHTTP, so the configured outbound proxy and the operator's anchors apply to vaults too.
        let client = try OutboundHTTP(gateway: gateway).client(
            HTTPClientConfiguration(trust: .system, clientIdentity: clientIdentity, connectAttempts: 2))
        return { request in
            let response = try client.send(HTTPRequest(
                method: request.method, url: request.url,
                headers: request.headers.map { ($0.name, $0.value.exposedString()) },
                body: request.body?.withUnsafeBytes { Array($0) } ?? [], timeout: .seconds(30)))
            return StoreHTTP.Response(status: response.status, body: Secret(bytes: response.body))
        }
    }
}
