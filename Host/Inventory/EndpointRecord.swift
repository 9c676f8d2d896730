import Foundation

/// One managed endpoint: what `og-host tls add` records.
public struct EndpointRecord: Codable, Equatable, Sendable {
    /// The instance ID printed on `tls add`: a lowercase UUID.
    public var id: String
    /// Unique, case-sensitive, 1 to 32 characters. A UUID is 36, so a name
    /// can never be mistaken for an instance ID.
    public var name: String
    /// The endpoint type, as served by a plugin (`nginx`, `p12`, ...).
    public var type: String
    public var pluginName: String
    /// `local`, `ssh`, `winrm`, ... as the plugin's metadata lists them.
    public var connectionType: String
    public var host: String
    public var port: Int?
    public var user: String?
    private var credentialStore: String?
    private var credentialID: String?
    /// Option name → where that option's secret is kept.
    public var secretOptions: [String: CredentialReference]
    /// The non-secret options as a JSON object text.
    public var options: String
    /// Set by the inventory when the record is added.
    public package(set) var createdAt: Date
    /// Set by the inventory on every add and update.
    public package(set) var updatedAt: Date

    public init(id: String = UUID().uuidString.lowercased(), name: String, type: String, pluginName: String,
                connectionType: String, host: String, port: Int? = nil, user: String? = nil,
                credential: CredentialReference? = nil, secretOptions: [String: CredentialReference] = [:],
                options: String = "{}") {
        let now = Date()
        self.init(storedID: id, name: name, type: type, pluginName: pluginName, connectionType: connectionType, host: host,
                  port: port, user: user, credentialStore: credential?.store, credentialID: credential?.id,
                  secretOptions: secretOptions, options: options, createdAt: now, updatedAt: now)
    }

    /// A record exactly as an inventory stored it, field by field (what decoding it would give).
    package init(storedID id: String, name: String, type: String, pluginName: String, connectionType: String, host: String,
                 port: Int?, user: String?, credentialStore: String?, credentialID: String?,
                 secretOptions: [String: CredentialReference], options: String, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.name = name
        self.type = type
        self.pluginName = pluginName
        self.connectionType = connectionType
        self.host = host
        self.port = port
        self.user = user
        self.credentialStore = credentialStore
        self.credentialID = credentialID
        self.secretOptions = secretOptions
        self.options = options
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The connection's credential. Inline secrets given on the command line
    /// are moved into the default local store first; only this reference stays.
    public var credential: CredentialReference? {
        get {
            guard let credentialStore, let credentialID else { return nil }
            return CredentialReference(store: credentialStore, id: credentialID)
        }
        set {
            credentialStore = newValue?.store
            credentialID = newValue?.id
        }
    }

    /// Every credential reference of this endpoint with the field it came from.
    package var credentialReferences: [(field: String, reference: CredentialReference)] {
        var references: [(String, CredentialReference)] = credential.map { [("credential", $0)] } ?? []
        for (option, reference) in secretOptions.sorted(by: { $0.key < $1.key }) {
            references.append(("secret option \(option)", reference))
        }
        return references
    }

    package func validate() throws {
        guard let uuid = UUID(uuidString: id), uuid.uuidString.lowercased() == id else {
            throw InventoryError.invalidValue(field: "id", value: id, problem: "is not a lowercase UUID")
        }
        try RecordValidation.name(name, field: "name")
        try RecordValidation.nonEmpty(type, field: "type")
        try RecordValidation.nonEmpty(pluginName, field: "plugin")
        try RecordValidation.nonEmpty(connectionType, field: "connection type")
        try RecordValidation.nonEmpty(host, field: "host")
        if let port, !(1...65535).contains(port) {
            throw InventoryError.invalidValue(field: "port", value: String(port), problem: "is not between 1 and 65535")
        }
        try RecordValidation.jsonObject(options, field: "options")
    }
}
