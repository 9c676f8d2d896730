import Foundation
import OGPlugins

/// `og-host tls test`: the plugin's test_connection against a stored endpoint,
/// through the same connection an install would open. Changes nothing.
///
/// This is the only place test_connection runs (og_plugin.h): `tls add` runs
/// validate_endpoint only, since an endpoint may be added before the files its
/// first install creates exist.
public enum ConnectionCheck {
    /// What was proven, one line; throws a GatewayError naming the failure.
    public static func run(_ reference: String, gateway: Gateway) throws -> String {
        let record = try EndpointCatalog(gateway: gateway).find(reference)
        let (_, plugin) = try gateway.plugin(forType: record.type)
        guard plugin.supports(.testConnection, for: record.type) else {
            throw GatewayError("endpoint type '\(record.type)' (plugin \(plugin.info.name)) has no connection test")
        }
        let session = try EndpointSession.open(record, gateway: gateway)
        do {
            try plugin.testConnection(session.endpoint, services: session)
        } catch {
            gateway.audit(action: "tls.test", subject: record.name, success: false, detail: error.description)
            throw GatewayError("connection test of '\(record.name)' failed: \(error.description)")
        }
        gateway.audit(action: "tls.test", subject: record.name, success: true, detail: session.commandLog.joined(separator: " | "))
        return "Endpoint '\(record.name)' answers: \(plugin.info.name) test_connection passed."
    }
}
