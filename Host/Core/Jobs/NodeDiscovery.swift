import Foundation
import OGInventory
import OGMaterial
import OGPlugins

/// `og-host tls nodes`: the plugin lists the endpoint's TLS nodes; the host adds
/// what each node's configured certificate is and what a real handshake shows
/// is served, and flags the difference.
public enum NodeDiscovery {
    public struct CertificateView: Codable, Sendable {
        public var subject: String
        public var serial: String
        public var notAfter: Date
        public var sha256Fingerprint: String
    }

    public struct DiscoveredNode: Codable, Sendable {
        public var id: String
        public var name: String
        public var aliases: [String]
        public var `protocol`: String
        public var address: String
        public var port: Int
        public var certificatePath: String
        public var detail: String
        public var configured: CertificateView?
        public var served: CertificateView?
        public var servedProblem: String?
        /// Whether the served certificate differs from the configured one; nil
        /// (unknown) unless both were seen: a configured certificate og-host could
        /// not read is not "the same".
        public var mismatch: Bool?

        /// As synthesized, except that an unknown `mismatch` is written as null rather than left out.
        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(aliases, forKey: .aliases)
            try container.encode(`protocol`, forKey: .protocol)
            try container.encode(address, forKey: .address)
            try container.encode(port, forKey: .port)
            try container.encode(certificatePath, forKey: .certificatePath)
            try container.encode(detail, forKey: .detail)
            try container.encodeIfPresent(configured, forKey: .configured)
            try container.encodeIfPresent(served, forKey: .served)
            try container.encodeIfPresent(servedProblem, forKey: .servedProblem)
            try container.encode(mismatch, forKey: .mismatch)
        }
    }

    /// The nodes, and what the plugin warned about while finding them (a configuration part it could
    /// not read, whose nodes are therefore missing).
    public struct Report: Sendable {
        public var nodes: [DiscoveredNode]
        public var warnings: [String]
    }

    public static func discover(record: EndpointRecord, plugin: PluginLibrary, gateway: Gateway) throws -> [DiscoveredNode] {
        try report(record: record, plugin: plugin, gateway: gateway).nodes
    }

    public static func report(record: EndpointRecord, plugin: PluginLibrary, gateway: Gateway) throws -> Report {
        guard plugin.supports(.discover, for: record.type) else {
            throw GatewayError("endpoint type '\(record.type)' (plugin \(plugin.info.name)) does not discover nodes")
        }
        let session = try EndpointSession.open(record, gateway: gateway)
        let nodes: [NodeInfo]
        do { nodes = try plugin.discoverNodes(session.endpoint, services: session) } catch {
            throw GatewayError("discovering nodes of '\(record.name)' failed: \(error.description)")
        }
        let discovered = nodes.map { node in
            var configuredBytes = node.certificate
            if configuredBytes.isEmpty, !node.certificatePath.isEmpty {
                configuredBytes = (try? session.connection.readFile(node.certificatePath)) ?? []
            }
            var configured = (try? Certificate.parseAll(configuredBytes))?.first.map(view)
            if configured == nil, !node.configuredSHA256.isEmpty {
                // An appliance names its certificate by fingerprint only (ABI 1.1): enough to compare with what is served.
                configured = CertificateView(subject: "", serial: "", notAfter: Date(timeIntervalSince1970: 0),
                                             sha256Fingerprint: node.configuredSHA256)
            }
            var served: CertificateView? = nil
            var problem: String? = nil
            if node.port > 0, !node.address.isEmpty {
                let host = node.address == "*" || node.address == "0.0.0.0" ? (record.host == "localhost" ? "127.0.0.1" : record.host) : node.address
                do {
                    served = try TLSProbe.servedCertificate(host: host, port: UInt16(node.port),
                                                            serverName: node.name.isEmpty ? nil : node.name).first.map(view)
                } catch {
                    problem = "\(error)"
                }
            }
            return DiscoveredNode(id: node.id, name: node.name, aliases: node.aliases, protocol: node.protocol,
                                  address: node.address, port: node.port, certificatePath: node.certificatePath,
                                  detail: node.detail, configured: configured, served: served, servedProblem: problem,
                                  mismatch: configured == nil || served == nil ? nil : configured?.sha256Fingerprint != served?.sha256Fingerprint)
        }
        return Report(nodes: discovered, warnings: session.pluginWarnings)
    }

    static func view(_ certificate: Certificate) -> CertificateView {
        CertificateView(subject: certificate.subject, serial: certificate.serialHex, notAfter: certificate.notAfter,
                        sha256Fingerprint: certificate.sha256Fingerprint)
    }
}
