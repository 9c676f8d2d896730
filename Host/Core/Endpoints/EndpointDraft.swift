import OGBasics
import OGConnections
import Foundation
import OGPlugins

/// A `tls add` request that passed every check: what will be stored, with its
/// secrets still in memory only.
public struct EndpointDraft: Sendable {
    public var name: String
    public var type: String
    public var pluginName: String
    public var connectionType: ConnectionType
    public var host: String
    public var port: Int?
    public var user: String?
    public var password: String?
    public var sshKeyPath: String?
    public var sshKeyPassword: String?
    public var store: String?
    public var storeCredentialID: String?
    public var sudo: String
    public var hostKeyFingerprint: String?
    /// Weak SSH algorithms this endpoint opts in to (`--ssh_legacy_algorithms`), as given.
    public var sshLegacyAlgorithms: String?
    /// The type's non-secret options, defaults applied, in schema order.
    public var options: [(name: String, value: String)]
    /// The type's secret options (e.g. store_password), by option name.
    public var secretOptions: [String: String]

    /// What the plugin sees: every type option, secrets included (the header's rules apply).
    public var pluginView: EndpointConfig {
        var all = options
        for (name, value) in secretOptions.sorted(by: { $0.key < $1.key }) { all.append((name, value)) }
        return EndpointConfig(type: type, name: name, connectionType: connectionType, host: host,
                              port: port ?? 0, options: all)
    }
}

/// Turns the words after `tls add <type>` into an EndpointDraft, applying the
/// host's rules first, then the plugin's schema. Errors name the option and
/// the fix; nothing is written here.
public enum EndpointValidation {
    public static func draft(type: String, fields arguments: EndpointFields, plugin: PluginInfo,
                             readSecret: (String, String) throws -> String) throws -> EndpointDraft {
        guard let typeInfo = plugin.type(named: type) else {
            throw GatewayError("plugin '\(plugin.name)' does not describe type '\(type)'")
        }
        let typeOptions = Dictionary(uniqueKeysWithValues: typeInfo.options.map { ($0.name, $0) })
        for name in arguments.order where HostOptions.spec(name) == nil && typeOptions[name] == nil {
            throw GatewayError.option(name, "is not an option of type '\(type)'; see `og-host tls add \(type)` with field `help`")
        }

        // Host options: presence, then each value against its own limits.
        for spec in HostOptions.all where spec.required && arguments[spec.name] == nil {
            throw GatewayError.option(spec.name, "is required")
        }
        for name in arguments.order {
            guard let spec = HostOptions.spec(name), let value = arguments[name], !spec.secret else { continue }
            if let problem = OptionValueCheck.problem(with: value, for: spec) { throw GatewayError.option(name, problem) }
        }
        let name = arguments["name"]!
        if name.contains(where: { $0.isNewline || $0 == "\0" }) || name.trimmingCharacters(in: .whitespaces) != name {
            throw GatewayError.option("name", "must not start or end with spaces or contain line breaks")
        }
        guard let connection = ConnectionType(rawValue: arguments["connection_type"]!) else {
            throw GatewayError.option("connection_type", "'\(arguments["connection_type"]!)' is not a connection type; use one of: \(typeInfo.connectionTypes.map(\.rawValue).joined(separator: ", "))")
        }
        guard typeInfo.connectionTypes.contains(connection) else {
            throw GatewayError.option("connection_type", "'\(connection.rawValue)' is not allowed for type '\(type)'; use one of: \(typeInfo.connectionTypes.map(\.rawValue).joined(separator: ", "))")
        }

        var draft = EndpointDraft(name: name, type: type, pluginName: plugin.name, connectionType: connection,
                                  host: "localhost", port: nil, user: nil, sudo: arguments["sudo"] ?? "none",
                                  options: [], secretOptions: [:])
        if connection == .local {
            for option in arguments.order where HostOptions.remoteOnly.contains(option) {
                throw GatewayError.option(option, "is not used with connection type local; remove it")
            }
        } else {
            try remote(&draft, fields: arguments, readSecret: readSecret)
        }

        // The plugin's own options, by its schema.
        for spec in typeInfo.options {
            guard let given = arguments[spec.name] else {
                if spec.required { throw GatewayError.option(spec.name, "is required for type '\(type)'") }
                if let value = spec.defaultValue { draft.options.append((spec.name, value)) }
                continue
            }
            let value = spec.secret ? try readSecret(spec.name, given) : given
            if let problem = OptionValueCheck.problem(with: value, for: spec) {
                throw GatewayError.option(spec.name, spec.secret ? problem.replacingOccurrences(of: value, with: "(hidden)") : problem)
            }
            if spec.secret { draft.secretOptions[spec.name] = value } else { draft.options.append((spec.name, value)) }
        }
        return draft
    }

    private static func remote(_ draft: inout EndpointDraft, fields arguments: EndpointFields,
                               readSecret: (String, String) throws -> String) throws {
        let connection = draft.connectionType
        guard let host = arguments["host"] else {
            throw GatewayError.option("host", "is required with connection type \(connection.rawValue)")
        }
        if host.contains(where: { $0.isWhitespace || $0.isNewline || $0 == "/" || $0 == "\0" }) {
            throw GatewayError.option("host", "'\(host)' must be a host name or address without spaces or slashes")
        }
        draft.host = host
        draft.port = arguments["port"].flatMap { Int($0) } ?? connection.defaultPort
        draft.hostKeyFingerprint = arguments["host_key_fingerprint"]
        if let fingerprint = draft.hostKeyFingerprint {
            guard connection == .ssh || connection == .sshWindows else {
                throw GatewayError.option("host_key_fingerprint", "applies to ssh connections only; remove it")
            }
            guard fingerprint.hasPrefix("SHA256:"), fingerprint.count > 7 else {
                throw GatewayError.option("host_key_fingerprint", "must look like SHA256:<base64>, as `ssh-keygen -lf` prints it")
            }
        }

        if let legacy = arguments["ssh_legacy_algorithms"] {
            guard connection == .ssh || connection == .sshWindows else {
                throw GatewayError.option("ssh_legacy_algorithms", "applies to ssh connections only; remove it")
            }
            do {
                draft.sshLegacyAlgorithms = try SSHAlgorithms(legacy: legacy).enabledLegacy.joined(separator: ",")
            } catch ConnectionError.invalidArgument(_, let problem) {
                throw GatewayError.option("ssh_legacy_algorithms", problem)
            }
        }
        let isSSH = connection == .ssh || connection == .sshWindows
        if arguments["store"] != nil || arguments["store_cred_id"] != nil {
            guard let store = arguments["store"] else {
                throw GatewayError.option("store", "is required with field `store_cred_id`")
            }
            guard let id = arguments["store_cred_id"] else {
                throw GatewayError.option("store_cred_id", "is required with field `store`")
            }
            for option in ["user", "password", "ssh_key_path", "ssh_key_password"] where arguments[option] != nil {
                throw GatewayError.option(option, "cannot be combined with field `store`: the login comes from the credential store")
            }
            draft.store = store
            draft.storeCredentialID = id
        } else {
            guard let user = arguments["user"] else {
                throw GatewayError.option("user", "is required with connection type \(connection.rawValue) (or use field `store` and field `store_cred_id`)")
            }
            draft.user = user
            if arguments["ssh_key_password"] != nil && arguments["ssh_key_path"] == nil {
                throw GatewayError.option("ssh_key_password", "needs field `ssh_key_path`")
            }
            if let keyPath = arguments["ssh_key_path"] {
                guard isSSH else {
                    throw GatewayError.option("ssh_key_path", "applies to ssh connections only; use field `password` for \(connection.rawValue)")
                }
                guard arguments["password"] == nil || draft.sudo == "password" else {
                    throw GatewayError.option("password", "give either field `password` or field `ssh_key_path`, not both (a password is only used with a key for field `sudo` password)")
                }
                guard keyPath.hasPrefix("/") else {
                    throw GatewayError.option("ssh_key_path", "'\(keyPath)' must be an absolute path on the gateway")
                }
                guard FileManager.default.isReadableFile(atPath: keyPath) else {
                    throw GatewayError.option("ssh_key_path", "\(keyPath) does not exist or is not readable by og-host")
                }
                draft.sshKeyPath = keyPath
                if let passphrase = arguments["ssh_key_password"] { draft.sshKeyPassword = try readSecret("ssh_key_password", passphrase) }
            } else if arguments["password"] == nil {
                throw GatewayError.option("password", "is required with connection type \(connection.rawValue) (or give field `ssh_key_path`, or field `store` and field `store_cred_id`)")
            }
            if let password = arguments["password"] { draft.password = try readSecret("password", password) }
        }
        if draft.sudo != "none" && !isSSH {
            throw GatewayError.option("sudo", "applies to ssh connections only; remove it")
        }
        if draft.sudo == "password" && draft.password == nil && draft.store == nil {
            throw GatewayError.option("sudo", "'password' needs field `password` (or a store credential) to answer sudo")
        }
    }
}
