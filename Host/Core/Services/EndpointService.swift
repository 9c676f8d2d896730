import Foundation
import OGInventory
import OGPlugins

/// Endpoints as a service: what `og-host tls add/list/show/remove` do, callable
/// by a daemon or a test the same way. Every change is audited here.
public struct EndpointService {
    public let gateway: Gateway

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    /// The endpoint types the installed plugins offer, for `tls add`'s usage.
    public func types() -> [String] {
        gateway.registry.availableTypes
    }

    /// What the front end needs to describe `tls add <type>`'s fields: the
    /// host's fields (connection type narrowed to the ones the type allows)
    /// and the plugin's, from the same specs the add is validated against.
    public func form(type: String) throws -> EndpointForm {
        let entry = try gateway.entry(forType: type)
        guard let info = entry.info, let typeInfo = info.type(named: type) else {
            throw GatewayError("plugin '\(entry.name)' does not describe type '\(type)'")
        }
        var common = HostOptions.all
        if let index = common.firstIndex(where: { $0.name == "connection_type" }) {
            common[index].kind = .enumeration
            common[index].allowedValues = typeInfo.connectionTypes.map(\.rawValue)
        }
        return EndpointForm(type: type, summary: typeInfo.summary, plugin: info.name, pluginVersion: info.version,
                            connectionTypes: typeInfo.connectionTypes.map(\.rawValue), hostFields: common,
                            typeFields: typeInfo.options)
    }

    /// `tls add <type>` with its field values, in the order given: host rules,
    /// then the plugin's schema, then the plugin's own validation through a
    /// real connection; only then is anything written.
    public func add(type: String, fields: [(field: String, value: String)]) throws -> EndpointRecord {
        try add(type: type, reading: { fields })
    }

    /// `add(type:fields:)` with the field values read by `readFields` (a front
    /// end's reading of its input): a failure to read them is a refused add
    /// like any other. Every refusal is audited and changes nothing else.
    public func add(type: String, reading readFields: () throws -> [(field: String, value: String)]) throws -> EndpointRecord {
        let record: EndpointRecord
        var pairs: [(field: String, value: String)] = []
        do {
            let entry = try gateway.entry(forType: type)
            pairs = try readFields()
            let fields = try EndpointFields(pairs)
            guard let info = entry.info else { throw GatewayError("plugin '\(entry.name)' has no description") }
            let draft = try EndpointValidation.draft(type: type, fields: fields, plugin: info,
                                                     readSecret: EndpointCatalog.readSecret)
            let (_, library) = try gateway.plugin(forType: type)
            record = try EndpointCatalog(gateway: gateway).add(draft) { draft in
                try EndpointSession.validate(draft, plugin: library, gateway: gateway,
                                             replacingHostKey: draft.hostKeyFingerprint != nil)
            }
        } catch {
            // A refused add is audited too (a refused host key among them); messages carry no secrets.
            // A first command refused for its fields must not create the data directory just to audit it.
            if FileManager.default.fileExists(atPath: gateway.dataDirectory.path) {
                let name = pairs.first { $0.field == "name" }?.value
                gateway.audit(action: "tls.add", subject: name ?? "(no name)", success: false,
                              detail: "type \(type): \(error)")
            }
            throw error
        }
        gateway.audit(action: "tls.add", subject: record.name, success: true,
                      detail: "instance \(record.id), type \(record.type), connection \(record.connectionType)")
        return record
    }

    public func list() throws -> [EndpointCatalog.Listing] {
        try CertificateVault.inventoryCall { try gateway.inventory().endpoints() }.map(EndpointCatalog.Listing.init)
    }

    /// `tls list --output json`: what encoding `list()` gives, written without JSONEncoder (see `EndpointListingJSON`).
    public func listJSON() throws -> String {
        EndpointListingJSON.render(try CertificateVault.inventoryCall { try gateway.inventory().endpointListingRows() })
    }

    /// What the text table shows, without decoding options (see `EndpointSummary`).
    public func summaries() throws -> [EndpointSummary] {
        try CertificateVault.inventoryCall { try gateway.inventory().endpointSummaries() }
    }

    public func show(_ reference: String) throws -> EndpointCatalog.Listing {
        EndpointCatalog.Listing(try EndpointCatalog(gateway: gateway).find(reference))
    }

    /// Removes an endpoint and the secrets given inline when it was added.
    @discardableResult
    public func remove(_ reference: String) throws -> EndpointRecord {
        let removed = try EndpointCatalog(gateway: gateway).remove(reference)
        gateway.audit(action: "tls.remove", subject: removed.name, success: true, detail: "instance \(removed.id)")
        return removed
    }
}
