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

    /// What `tls add` produced: help for the operator, or a new endpoint.
    public enum AddOutcome: Sendable {
        case help(String)
        case added(EndpointRecord)
    }

    /// `tls add <type> [options]`: host rules, then the plugin's schema, then
    /// the plugin's own validation through a real connection; only then is
    /// anything written. `words` are the words after `tls add`.
    public func add(_ words: [String]) throws -> AddOutcome {
        guard let type = words.first, !type.hasPrefix("-") else {
            let types = gateway.registry.availableTypes
            let text = "Usage: og-host tls add <type> --name <name> --connection_type <type> [options]\n" +
                "Types: \(types.isEmpty ? "(no plugins installed; see og-host plugins list)" : types.joined(separator: ", "))\n" +
                "Options of a type: og-host tls add <type> --help\n"
            if words.contains("--help") || words.contains("-h") { return .help(text) }
            throw GatewayError.badInput("tls add needs an endpoint type\n\(text)")
        }
        let record: EndpointRecord
        do {
            let entry = try gateway.entry(forType: type)
            let arguments = try EndpointArguments(Array(words.dropFirst()))
            guard let info = entry.info else { throw GatewayError("plugin '\(entry.name)' has no description") }
            if arguments.wantsHelp { return .help(EndpointHelp.text(type: type, plugin: info)) }
            let draft = try EndpointValidation.draft(type: type, arguments: arguments, plugin: info,
                                                     readSecret: EndpointCatalog.readSecret)
            let (_, library) = try gateway.plugin(forType: type)
            record = try EndpointCatalog(gateway: gateway).add(draft) { draft in
                try EndpointSession.validate(draft, plugin: library, gateway: gateway,
                                             replacingHostKey: draft.hostKeyFingerprint != nil)
            }
        } catch {
            // A refused add is audited too (a refused host key among them); messages carry no secrets.
            let name = words.firstIndex(of: "--name").flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
                ?? words.first { $0.hasPrefix("--name=") }.map { String($0.dropFirst("--name=".count)) }
            // A first command refused for its options must not create the data directory just to audit it.
            if FileManager.default.fileExists(atPath: gateway.dataDirectory.path) {
                gateway.audit(action: "tls.add", subject: name ?? "(no name)", success: false,
                              detail: "type \(type): \(error)")
            }
            throw error
        }
        gateway.audit(action: "tls.add", subject: record.name, success: true,
                      detail: "instance \(record.id), type \(record.type), connection \(record.connectionType)")
        return .added(record)
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
