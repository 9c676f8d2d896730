import Foundation
import OGBasics
import OGCredentials
import OGInventory
import OGPlugins

/// `tls update NAME [options]`: the options given replace the stored ones;
/// options they contradict are dropped (a new key drops the old passphrase,
/// a credential store replaces an inline login, another host forgets the old
/// host's fingerprint); everything else is kept. The result goes through
/// `EndpointValidation` exactly as `tls add` would see it, so an update can
/// never store what an add would refuse.
public enum EndpointUpdate {
    /// Options that together say how the endpoint logs in.
    static let loginOptions: Set<String> = ["user", "password", "ssh_key_path", "ssh_key_password", "store", "store_cred_id"]

    /// The stored endpoint as `tls add` arguments, with its inline secrets read back
    /// (`secrets`, by option; `values` holds a placeholder for each).
    struct Stored {
        var values: [String: String] = [:]
        var secrets: [String: String] = [:]
    }

    static let storedPlaceholder = "(stored)"

    static func stored(_ record: EndpointRecord, gateway: Gateway) throws -> Stored {
        var stored = Stored()
        stored.values["name"] = record.name
        stored.values["connection_type"] = record.connectionType
        let isLocal = record.connectionType == ConnectionType.local.rawValue
        if !isLocal {
            stored.values["host"] = record.host
            if let port = record.port { stored.values["port"] = String(port) }
        }
        let options = (try? JSONSerialization.jsonObject(with: Data(record.options.utf8)) as? [String: String]) ?? [:]
        for (name, value) in options {
            // `sudo none` is the default and not an option of local endpoints.
            if name == "sudo", value == "none" { continue }
            stored.values[name] = value
        }
        let resolver = CredentialResolver(gateway: gateway)
        if let reference = record.credential {
            let inline = reference.store == LocalCredentialStore.defaultName
                && reference.id.hasPrefix(EndpointCatalog.inlineCredentialPrefix(endpointID: record.id))
            if inline {
                let credential = try resolver.credential(store: reference.store, id: reference.id, field: "password")
                stored.values["user"] = credential.username
                switch credential.secret {
                case .password(let password):
                    stored.secrets["password"] = password.exposedString()
                case .privateKey(let path, let passphrase):
                    stored.values["ssh_key_path"] = path
                    if let passphrase { stored.secrets["ssh_key_password"] = passphrase.exposedString() }
                }
            } else {
                stored.values["store"] = reference.store
                stored.values["store_cred_id"] = reference.id
            }
        } else if let user = record.user {
            stored.values["user"] = user
        }
        for (option, reference) in record.secretOptions {
            let text = try resolver.credential(store: reference.store, id: reference.id, field: option).secretText
            // With a key login, the password is kept only to answer sudo.
            stored.secrets[option == "sudo_password" ? "password" : option] = text
        }
        for option in stored.secrets.keys { stored.values[option] = storedPlaceholder }
        return stored
    }

    /// The stored values with `given` laid over them, dropping what `given` contradicts.
    static func merged(_ stored: [String: String], with given: EndpointFields) -> EndpointFields {
        var values = stored
        func has(_ name: String) -> Bool { given[name] != nil }
        func drop(_ names: String...) { for name in names where !has(name) { values[name] = nil } }

        if let type = given["connection_type"], type != stored["connection_type"] {
            // Another transport: its port, its login and its host key are not the old one's.
            drop("port", "host_key_fingerprint", "ssh_legacy_algorithms")
            if type == ConnectionType.local.rawValue {
                for option in HostOptions.remoteOnly { drop(option) }
            } else if type != ConnectionType.ssh.rawValue && type != ConnectionType.sshWindows.rawValue {
                drop("ssh_key_path", "ssh_key_password", "sudo")
            }
        }
        if has("host") || has("port") { drop("host_key_fingerprint") }
        if has("store") || has("store_cred_id") { drop("user", "password", "ssh_key_path", "ssh_key_password") }
        if has("user") || has("password") || has("ssh_key_path") || has("ssh_key_password") { drop("store", "store_cred_id") }
        if has("ssh_key_path") { drop("ssh_key_password") }
        let sudo = given["sudo"] ?? values["sudo"] ?? "none"
        if has("password") && !has("ssh_key_path") && sudo != "password" {
            // A password without sudo password: a switch to password login.
            drop("ssh_key_path", "ssh_key_password")
        }
        if sudo != "password" && (values["ssh_key_path"] != nil || has("ssh_key_path")) {
            // With a key login, a password only ever answered sudo.
            drop("password")
        }
        for name in given.order { values[name] = given[name] }

        var fields = EndpointFields()
        // Given fields first, so messages name what the operator typed.
        fields.order = given.order + values.keys.filter { given[$0] == nil }.sorted()
        fields.values = values
        return fields
    }

    /// What the operator sees after an update: the fields it changed (never secret values).
    public struct Result: Sendable {
        public var record: EndpointRecord
        /// Field names given, in the order given.
        public var changed: [String]
        /// The host key fingerprint remembered before, when field `host_key_fingerprint` replaced it.
        public var previousHostKey: String?
        public var hostKey: String?
    }
}

extension EndpointService {
    /// `tls update <endpoint>` with the field values to change: the stored endpoint with
    /// them laid over it, validated as `tls add` validates, then checked through a real
    /// connection (and the plugin's own validation); only then are the record, its secrets and (with
    /// field `host_key_fingerprint`) the host's pin replaced, in place: the instance ID, bindings, installs
    /// and audit history stay. A refused update changes nothing.
    public func update(_ reference: String, fields: [(field: String, value: String)]) throws -> EndpointUpdate.Result {
        try update(reference, reading: { fields })
    }

    /// `update(_:fields:)` with the field values read by `readFields` (a front end's reading of its
    /// input): a failure to read them is a refused update like any other, audited.
    public func update(_ reference: String, reading readFields: () throws -> [(field: String, value: String)]) throws
        -> EndpointUpdate.Result {
        let catalog = EndpointCatalog(gateway: gateway)
        let existing = try catalog.find(reference)
        let result: EndpointUpdate.Result
        do {
            let given = try EndpointFields(try readFields())
            guard !given.isEmpty else {
                throw GatewayError.badInput("nothing to change: give the fields to replace")
            }
            let entry = try gateway.entry(forType: existing.type)
            guard let info = entry.info, info.type(named: existing.type) != nil else {
                throw GatewayError("plugin '\(entry.name)' does not describe type '\(existing.type)'")
            }
            let stored = try EndpointUpdate.stored(existing, gateway: gateway)
            let merged = EndpointUpdate.merged(stored.values, with: given)
            let draft = try EndpointValidation.draft(type: existing.type, fields: merged, plugin: info) { option, value in
                if given[option] == nil, let secret = stored.secrets[option] { return secret }
                return try EndpointCatalog.readSecret(option: option, value: value)
            }
            let replacingHostKey = given["host_key_fingerprint"] != nil
            let previousPin = try gateway.inventory().hostKeyPin(host: draft.host, port: draft.port ?? 22)?.fingerprint
            let (_, library) = try gateway.plugin(forType: existing.type)
            let record = try catalog.update(existing, to: draft, replacingHostKey: replacingHostKey) { draft in
                try EndpointSession.validate(draft, plugin: library, gateway: gateway, updating: existing.name,
                                             replacingHostKey: replacingHostKey)
            }
            result = EndpointUpdate.Result(record: record, changed: given.order,
                                           previousHostKey: replacingHostKey ? previousPin : nil,
                                           hostKey: replacingHostKey ? draft.hostKeyFingerprint : nil)
        } catch {
            gateway.audit(action: "tls.update", subject: existing.name, success: false, detail: "instance \(existing.id): \(error)")
            throw error
        }
        var detail = "instance \(existing.id), changed: " + result.changed.joined(separator: ", ")
        if let key = result.hostKey {
            detail += "; host key re-pinned: \(result.previousHostKey ?? "none") -> \(key)"
        }
        gateway.audit(action: "tls.update", subject: result.record.name, success: true, detail: detail)
        return result
    }
}
