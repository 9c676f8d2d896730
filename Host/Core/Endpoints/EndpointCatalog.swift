import Foundation
import OGBasics
import OGCredentials
import OGInventory
import OGPlugins

/// Adding, listing, showing and removing endpoints: the inventory side of
/// `og-host tls`. Inline secrets go into the default local credential store;
/// the inventory keeps references only.
public struct EndpointCatalog {
    public let gateway: Gateway

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    var credentialDirectory: LocalCredentialDirectory {
        LocalCredentialDirectory(path: gateway.dataDirectory.credentialsPath)
    }

    /// Reads a secret option's value (`-`, `env:NAME` or literal) as text.
    public static func readSecret(option: String, value: String) throws -> String {
        do {
            guard let secret = try SecretInput.read(option: "field `\(option)`", value: value) else {
                throw GatewayError.option(option, "needs a value")
            }
            return secret.exposedString()
        } catch let error as CredentialsError {
            throw GatewayError("\(error)", category: .badInput)
        }
    }

    /// Validates and stores a new endpoint; returns the stored record.
    /// `validateWithPlugin` runs the plugin's own checks (which may connect) before anything is written.
    /// A host key fingerprint the operator gave replaces the host's remembered key in the same transaction.
    public func add(_ draft: EndpointDraft, validateWithPlugin: (EndpointDraft) throws -> Void) throws -> EndpointRecord {
        let inventory = try gateway.inventory()
        if try inventory.endpoint(named: draft.name) != nil {
            throw GatewayError.option("name", "'\(draft.name)' is already used by another endpoint; choose another name or remove it first", category: .conflict)
        }
        try requireStore(of: draft, inventory)
        try validateWithPlugin(draft)

        let id = UUID().uuidString.lowercased()
        return try storing(draft, id: id, secretSuffix: "") { record in
            try inventory.addEndpoint(record, hostKeyPin: Self.typedPin(draft))
        }
    }

    /// `tls update`: stores `draft` as the new settings of `existing` (same instance ID) once
    /// `validateWithPlugin` has passed. The endpoint's inline secrets are stored afresh and the
    /// previous ones removed only after the record points at the new ones; a refusal at any step
    /// leaves the endpoint, its secrets and the host's pin as they were.
    public func update(_ existing: EndpointRecord, to draft: EndpointDraft, replacingHostKey: Bool,
                       validateWithPlugin: (EndpointDraft) throws -> Void) throws -> EndpointRecord {
        let inventory = try gateway.inventory()
        if let other = try inventory.endpoint(named: draft.name), other.id != existing.id {
            throw GatewayError.option("name", "'\(draft.name)' is already used by another endpoint; choose another name", category: .conflict)
        }
        try requireStore(of: draft, inventory)
        try validateWithPlugin(draft)

        // A new generation of inline secret IDs, so the old ones stay valid until the record moved on.
        let generation = "." + UUID().uuidString.lowercased().prefix(8)
        let updated = try storing(draft, id: existing.id, secretSuffix: String(generation)) { record in
            try inventory.updateEndpointSettings(record, hostKeyPin: replacingHostKey ? Self.typedPin(draft) : nil)
        }
        let kept = Set(([updated.credential].compactMap { $0 } + Array(updated.secretOptions.values)).map(\.id))
        removeInlineSecrets(of: existing) { !kept.contains($0) }
        if existing.host != updated.host || existing.port != updated.port || existing.connectionType != updated.connectionType {
            forgetPinIfUnused(of: existing, inventory)
        }
        return updated
    }

    private func requireStore(of draft: EndpointDraft, _ inventory: any InventoryStore) throws {
        if let store = draft.store {
            guard try inventory.credentialStore(named: store) != nil else {
                throw GatewayError.option("store", "no credential store named '\(store)'; see `og-host credstore list`")
            }
        }
    }

    /// The pin an operator-typed fingerprint asks for (SSH endpoints only).
    static func typedPin(_ draft: EndpointDraft) -> HostKeyPin? {
        guard let fingerprint = draft.hostKeyFingerprint,
              draft.connectionType == .ssh || draft.connectionType == .sshWindows else { return nil }
        return HostKeyPin(host: draft.host, port: draft.port ?? 22, fingerprint: fingerprint)
    }

    /// Puts `draft`'s inline secrets into the default local store under `ep:<id>:<role><suffix>`, builds
    /// the record referring to them and hands it to `persist`; any failure takes the stored secrets back.
    private func storing(_ draft: EndpointDraft, id: String, secretSuffix: String,
                         persist: (EndpointRecord) throws -> EndpointRecord) throws -> EndpointRecord {
        let credentialPrefix = Self.inlineCredentialPrefix(endpointID: id)
        var stored: [String] = []
        let store: LocalCredentialStore
        do {
            store = try LocalCredentialStore(directory: credentialDirectory)
        } catch {
            throw GatewayError("credential store: \(error)")
        }
        // Anything written before a later failure is taken back, so a refused
        // add or update leaves the gateway as it was.
        func rollback() {
            for credentialID in stored { try? store.remove(id: credentialID) }
        }
        do {
            var credential: CredentialReference? = nil
            if let storeName = draft.store, let credentialID = draft.storeCredentialID {
                credential = CredentialReference(store: storeName, id: credentialID)
            } else if let user = draft.user {
                let login: Credential
                if let keyPath = draft.sshKeyPath {
                    login = .privateKey(username: user, path: keyPath, passphrase: draft.sshKeyPassword.map { Secret($0) })
                } else {
                    login = .password(username: user, Secret(draft.password ?? ""))
                }
                let credentialID = credentialPrefix + "login" + secretSuffix
                stored.append(try store.add(login, id: credentialID))
                credential = CredentialReference(store: LocalCredentialStore.defaultName, id: credentialID)
            }
            var secretOptions: [String: CredentialReference] = [:]
            for (index, (option, value)) in draft.secretOptions.sorted(by: { $0.key < $1.key }).enumerated() {
                let credentialID = credentialPrefix + "s\(index)" + secretSuffix
                stored.append(try store.add(.password(username: "", Secret(value)), id: credentialID))
                secretOptions[option] = CredentialReference(store: LocalCredentialStore.defaultName, id: credentialID)
            }
            if draft.sudo == "password", let password = draft.password, draft.sshKeyPath != nil {
                let credentialID = credentialPrefix + "sudo" + secretSuffix
                stored.append(try store.add(.password(username: draft.user ?? "", Secret(password)), id: credentialID))
                secretOptions["sudo_password"] = CredentialReference(store: LocalCredentialStore.defaultName, id: credentialID)
            }
            var options: [String: String] = [:]
            for (name, value) in draft.options { options[name] = value }
            options["sudo"] = draft.sudo
            if let fingerprint = draft.hostKeyFingerprint { options["host_key_fingerprint"] = fingerprint }
            if let legacy = draft.sshLegacyAlgorithms { options["ssh_legacy_algorithms"] = legacy }
            let record = EndpointRecord(id: id, name: draft.name, type: draft.type, pluginName: draft.pluginName,
                                        connectionType: draft.connectionType.rawValue, host: draft.host, port: draft.port,
                                        user: draft.user, credential: credential, secretOptions: secretOptions,
                                        options: String(decoding: try JSONSerialization.data(withJSONObject: options, options: [.sortedKeys]), as: UTF8.self))
            return try persist(record)
        } catch let error as GatewayError {
            rollback()
            throw error
        } catch InventoryError.nameTaken(let name) {
            rollback()
            throw GatewayError.option("name", "'\(name)' is already used by another endpoint; choose another name or remove it first", category: .conflict)
        } catch let error as InventoryError {
            rollback()
            throw GatewayError.classify(error)
        } catch {
            rollback()
            throw GatewayError("could not store endpoint '\(draft.name)': \(error)")
        }
    }

    /// IDs of the secrets `tls add` stored for one endpoint: `ep:<instance hex>:<role>`,
    /// short enough for the store's 64-character IDs and recognisable on removal.
    static func inlineCredentialPrefix(endpointID: String) -> String {
        "ep:" + endpointID.replacingOccurrences(of: "-", with: "") + ":"
    }

    public func remove(_ reference: String) throws -> EndpointRecord {
        let inventory = try gateway.inventory()
        let removed: EndpointRecord
        do {
            removed = try inventory.removeEndpoint(reference)
        } catch let error as InventoryError {
            throw GatewayError.classify(error)
        }
        forgetPinIfUnused(of: removed, inventory)
        removeInlineSecrets(of: removed) { _ in true }
        return removed
    }

    /// The SSH host key pin goes with the last endpoint that reaches that host and port,
    /// so a re-added endpoint after a legitimate key change is not refused by a stale pin.
    private func forgetPinIfUnused(of endpoint: EndpointRecord, _ inventory: any InventoryStore) {
        guard let type = ConnectionType(rawValue: endpoint.connectionType), type == .ssh || type == .sshWindows else { return }
        let port = endpoint.port ?? 22
        let others = (try? inventory.endpoints()) ?? []
        let shared = others.contains { other in
            other.host == endpoint.host && (other.port ?? 22) == port
                && (other.connectionType == ConnectionType.ssh.rawValue || other.connectionType == ConnectionType.sshWindows.rawValue)
        }
        if !shared { _ = try? inventory.removeHostKeyPin(host: endpoint.host, port: port) }
    }

    /// Inline secrets belonged to this endpoint alone; credentials in named stores are the operator's.
    private func removeInlineSecrets(of endpoint: EndpointRecord, where wanted: (String) -> Bool) {
        guard let store = try? LocalCredentialStore(directory: credentialDirectory) else { return }
        for reference in [endpoint.credential].compactMap({ $0 }) + Array(endpoint.secretOptions.values)
        where reference.store == LocalCredentialStore.defaultName
            && reference.id.hasPrefix(Self.inlineCredentialPrefix(endpointID: endpoint.id)) && wanted(reference.id) {
            try? store.remove(id: reference.id)
        }
    }

    public func find(_ reference: String) throws -> EndpointRecord {
        do {
            return try gateway.inventory().endpoint(matching: reference)
        } catch let error as InventoryError {
            throw GatewayError.classify(error)
        }
    }

    /// What `tls list` and `tls show` print: the record without secrets (it holds none) in operator terms.
    public struct Listing: Codable, Sendable {
        public var id: String
        public var name: String
        public var type: String
        public var plugin: String
        public var connectionType: String
        public var host: String
        public var port: Int?
        public var user: String?
        public var credential: String?
        public var options: [String: String]
        public var secretOptions: [String: String]
        public var createdAt: Date
        public var updatedAt: Date

        public init(_ record: EndpointRecord) {
            id = record.id
            name = record.name
            type = record.type
            plugin = record.pluginName
            connectionType = record.connectionType
            host = record.host
            port = record.port
            user = record.user
            credential = record.credential?.description
            options = (try? JSONSerialization.jsonObject(with: Data(record.options.utf8)) as? [String: String]) ?? [:]
            secretOptions = record.secretOptions.mapValues { _ in Secret.mask }
            createdAt = record.createdAt
            updatedAt = record.updatedAt
        }
    }
}
