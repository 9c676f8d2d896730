/// One configured endpoint as `tls add` recorded it, credentials excluded.
/// Option values arrive as text with the schema's defaults applied; the typed
/// accessors throw a `PluginError` that names the option.
public struct Endpoint: Sendable, Hashable {
    /// The endpoint type name (`"combined_pem"`).
    public var type: String
    /// The operator's `--name`.
    public var name: String
    /// Exactly one connection type.
    public var connectionType: ConnectionTypes
    public var platform: Platform
    /// Empty for local endpoints.
    public var host: String
    /// Nil when the operator gave none.
    public var port: Int?
    /// Type-specific options by name.
    public var options: [String: String]

    public init(type: String, name: String, connectionType: ConnectionTypes, platform: Platform = .posix,
                host: String = "", port: Int? = nil, options: [String: String] = [:]) {
        self.type = type
        self.name = name
        self.connectionType = connectionType
        self.platform = platform
        self.host = host
        self.port = port
        self.options = options
    }

    /// The value of a text or path option; throws when it is missing.
    public func string(_ option: String) throws -> String {
        guard let value = options[option] else {
            throw PluginError(status: .invalidArgument, field: option,
                              message: "option is missing; give it with --\(option)")
        }
        return value
    }

    /// The value of an integer option; throws when it is missing or not a decimal integer.
    public func integer(_ option: String) throws -> Int {
        let text = try string(option)
        guard let value = Int(text) else {
            throw PluginError(status: .invalidArgument, field: option,
                              message: "'\(text)' is not a decimal integer; give a number such as 443")
        }
        return value
    }

    /// The value of a boolean option; throws when it is missing or not `true`/`false`.
    public func boolean(_ option: String) throws -> Bool {
        switch try string(option) {
        case "true": return true
        case "false": return false
        case let text:
            throw PluginError(status: .invalidArgument, field: option,
                              message: "'\(text)' is not a boolean; give true or false")
        }
    }

    /// The value of an optional integer option: nil when absent, throws when malformed.
    public func integerIfPresent(_ option: String) throws -> Int? {
        options[option] == nil ? nil : try integer(option)
    }

    /// The value of an optional boolean option: nil when absent, throws when malformed.
    public func booleanIfPresent(_ option: String) throws -> Bool? {
        options[option] == nil ? nil : try boolean(option)
    }
}
