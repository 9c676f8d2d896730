/// One endpoint type a plugin serves: the word after `tls add`, how it can be
/// reached, what the host may ask of it and its own options.
public struct EndpointTypeDescriptor: Sendable, Hashable {
    /// `[a-z0-9_]{1,32}`, e.g. `"combined_pem"`.
    public var name: String
    /// One line for `plugins list`.
    public var summary: String
    public var connectionTypes: ConnectionTypes
    public var capabilities: Capabilities
    /// Type-specific options only: the host owns name, connection_type, host,
    /// port, user, password, ssh_key_path, ssh_key_password, store and store_cred_id.
    public var options: [OptionSchema]

    public init(name: String, summary: String, connectionTypes: ConnectionTypes, capabilities: Capabilities,
                options: [OptionSchema]) {
        self.name = name
        self.summary = summary
        self.connectionTypes = connectionTypes
        self.capabilities = capabilities
        self.options = options
    }
}
