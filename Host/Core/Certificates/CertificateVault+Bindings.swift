import Foundation
import OGInventory

/// A binding as the operator sees it: the endpoint by name.
public struct CertificateBindingListing: Codable, Sendable {
    public var certificate: String
    public var endpointID: String
    public var endpointName: String
    /// "" = the plugin's choice of node.
    public var node: String
    public var alias: String?
}

extension CertificateVault {
    /// `cert bind NAME --endpoint EP [--node N] [--alias A]`: says that the
    /// certificate named `reference` (or the lineage of the version with this
    /// ID) belongs on `node` of `endpoint` ("" or nil: the plugin's choice),
    /// so `cert deploy` and renewal install its current version there.
    /// Only named certificates bind: a binding follows the name from version
    /// to version. Idempotent.
    @discardableResult
    public func bind(_ reference: String, endpoint: String, node: String?, alias: String?) throws -> CertificateBindingListing {
        let (lineage, record) = try bindableLineage(reference)
        let node = try Self.bindingNode(node)
        if let alias, alias.isEmpty { throw GatewayError.option("alias", "is empty; leave it out or give the keystore alias") }
        let endpointRecord = try EndpointCatalog(gateway: gateway).find(endpoint)
        return try audited(action: "cert.bind", subject: lineage) {
            let binding = try Self.inventoryCall {
                try inventory.bind(lineage: lineage, endpointID: endpointRecord.id, node: node, alias: alias)
            }
            let listing = CertificateBindingListing(certificate: lineage, endpointID: endpointRecord.id,
                                                    endpointName: endpointRecord.name, node: binding.node, alias: binding.alias)
            return (listing, "endpoint \(endpointRecord.name)" + (node.isEmpty ? "" : ", node \(node)")
                        + (binding.alias.map { ", alias \($0)" } ?? "") + (record.name == nil ? ", named by version \(record.id)" : ""))
        }
    }

    /// `cert unbind NAME --endpoint EP [--node N]`: removes the binding to
    /// `node` of `endpoint`, or every binding to that endpoint when `node` is
    /// nil. Nothing is uninstalled. Returns how many bindings went; none is an
    /// error (not found) naming what is bound.
    @discardableResult
    public func unbind(_ reference: String, endpoint: String, node: String?) throws -> Int {
        let (lineage, _) = try bindableLineage(reference)
        let node = try node.map { try Self.bindingNode($0) }
        let endpointRecord = try EndpointCatalog(gateway: gateway).find(endpoint)
        return try audited(action: "cert.unbind", subject: lineage) {
            let removed = try Self.inventoryCall {
                try inventory.unbind(lineage: lineage, endpointID: endpointRecord.id, node: node)
            }
            guard removed > 0 else {
                let bound = try bindings(lineage).map { $0.node.isEmpty ? $0.endpointName : "\($0.endpointName)/\($0.node)" }
                throw GatewayError("certificate '\(lineage)': is not bound to endpoint '\(endpointRecord.name)'"
                                   + (node.map { " node '\($0)'" } ?? "") + "; it is bound to "
                                   + (bound.isEmpty ? "nothing" : bound.joined(separator: ", ")), category: .notFound)
            }
            return (removed, "endpoint \(endpointRecord.name)" + (node.map { ", node \($0)" } ?? ", every node")
                        + ", \(removed) binding(s)")
        }
    }

    /// Where the certificate named `lineage` belongs, endpoints by name.
    public func bindings(_ lineage: String) throws -> [CertificateBindingListing] {
        let inventory = try inventory
        return try Self.inventoryCall {
            try inventory.bindings(ofLineage: lineage).map { binding in
                let name = (try? inventory.endpoint(matching: binding.endpointID))?.name ?? binding.endpointID
                return CertificateBindingListing(certificate: lineage, endpointID: binding.endpointID, endpointName: name,
                                                 node: binding.node, alias: binding.alias)
            }
        }
    }

    /// The lineage `reference` belongs to, refusing certificates without a name.
    private func bindableLineage(_ reference: String) throws -> (String, ManagedCertificateRecord) {
        let record = try find(reference)
        guard let lineage = record.lineage else {
            throw GatewayError("certificate \(record.id): has no name, and only a named certificate can be bound (the "
                               + "binding follows the name to each new version); import it under a name with og-host "
                               + "cert import field `cert` FILE field `key` FILE field `name` NAME, or request one with og-host cert "
                               + "request field `name` NAME", category: .badInput)
        }
        return (lineage, record)
    }

    /// A node as given: nil or "" is the plugin's choice (""), anything else is kept.
    private static func bindingNode(_ node: String?) throws -> String {
        guard let node else { return "" }
        guard !node.isEmpty else {
            throw GatewayError.option("node", "is empty; leave it out for the plugin's choice of node, or name the node "
                                      + "(og-host tls nodes ENDPOINT lists them)")
        }
        guard !node.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw GatewayError.option("node", "\(node.debugDescription) contains control characters; name a node og-host tls nodes lists")
        }
        return node
    }
}
