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
            guard let secret = try SecretInput.read(option: "--\(option)", value: value) else {
                throw GatewayError.option(option, "needs a value")
            }
            return secret.exposedString()
        } catch let error as CredentialsError {
            throw GatewayError("\(error)", category: .badInput)
        }
    }

    /// Validates and stores a new endpoint; returns the stored record.
    /// `validateWithPlugin` runs the plugin's own checks (which may connect) before anything is written.
    public func add(_ draft: EndpointDraft, validateWithPlugin: (EndpointDraft) throws -> Void) throws -> EndpointRecord {
        let inventory = try gateway.inventory()
        if try inventory.endpoint(named: draft.name) != nil {
            throw GatewayError.option("name", "'\(draft.name)' is already used by another endpoint; choose another name or remove it first", category: .conflict)
        }
        if let store = draft.store {
            guard try inventory.credentialStore(named: store) != nil else {
                throw GatewayError.option("store", "no credential store named '\(store)'; see `og-host credstore list`")
            }
        }
        try validateWithPlugin(draft)

        let id = UUID().uuidString.lowercased()
        let credentialPrefix = Self.inlineCredentialPrefix(endpointID: id)
        var stored: [String] = []
        let store: LocalCredentialStore
        do {
            store = try LocalCredentialStore(directory: credentialDirectory)
        } catch {
            throw GatewayError("credential store: \(error)")
        }
        // Anything written before a later failure is taken back, so a refused
        // add leaves the gateway as it was.
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
                let credentialID = credentialPrefix + "login"
                stored.append(try store.add(login, id: credentialID))
                credential = CredentialReference(store: LocalCredentialStore.defaultName, id: credentialID)
            }
            var secretOptions: [String: CredentialReference] = [:]
            for (index, (option, value)) in draft.secretOptions.sorted(by: { $0.key < $1.key }).enumerated() {
                let credentialID = credentialPrefix + "s\(index)"
                stored.append(try store.add(.password(username: "", Secret(value)), id: credentialID))
                secretOptions[option] = CredentialReference(store: LocalCredentialStore.defaultName, id: credentialID)
            }
            if draft.sudo == "password", let password = draft.password, draft.sshKeyPath != nil {
                let credentialID = credentialPrefix + "sudo"
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
            return try inventory.addEndpoint(record)
        } catch let error as GatewayError {
            rollback()
            throw error
        } catch InventoryError.nameTaken(let name) {
            rollback()
            throw GatewayError.option("name", "'\(name)' is already used by another endpoint; choose another name or remove it first", category: .conflict)
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
        // The SSH host key pin goes with the last endpoint that reaches that host and port,
        // so a re-added endpoint after a legitimate key change is not refused by a stale pin.
        if let type = ConnectionType(rawValue: removed.connectionType), type == .ssh || type == .sshWindows {
            let port = removed.port ?? 22
            let others = (try? inventory.endpoints()) ?? []
            let shared = others.contains { other in
                other.host == removed.host && (other.port ?? 22) == port
                    && (other.connectionType == ConnectionType.ssh.rawValue || other.connectionType == ConnectionType.sshWindows.rawValue)
            }
            if !shared { _ = try? inventory.removeHostKeyPin(host: removed.host, port: port) }
        }
        // Inline secrets belonged to this endpoint alone; credentials in named stores are the operator's.
        if let store = try? LocalCredentialStore(directory: credentialDirectory) {
            for reference in [removed.credential].compactMap({ $0 }) + Array(removed.secretOptions.values)
            where reference.store == LocalCredentialStore.defaultName
                && reference.id.hasPrefix(Self.inlineCredentialPrefix(endpointID: removed.id)) {
                try? store.remove(id: reference.id)
            }
        }
        return removed
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
