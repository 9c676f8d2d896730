import OGPlugins

/// The field values of `tls add <type>` and `tls update <endpoint>`, by field
/// name, with the order they were given in so that messages name the first
/// offending field the operator wrote. A front end turns its own syntax (the
/// CLI: `--field value` words) into (field, value) pairs; the rules live here:
/// every field takes one value and is given at most once. Which fields exist
/// and what they may hold is the host's options and the plugin's schema
/// (`EndpointValidation`).
public struct EndpointFields: Sendable, Equatable {
    public internal(set) var values: [String: String] = [:]
    /// Field names in the order given.
    public internal(set) var order: [String] = []

    public init() {}

    public init(_ pairs: [(field: String, value: String)]) throws {
        for (field, value) in pairs {
            guard !field.isEmpty else { throw GatewayError("a field needs a name", category: .badInput) }
            guard values[field] == nil else { throw GatewayError.option(field, "is given more than once; give it once") }
            values[field] = value
            order.append(field)
        }
    }

    public subscript(_ name: String) -> String? { values[name] }

    public var isEmpty: Bool { order.isEmpty }
}

/// What a front end needs to describe `tls add <type>`: the type, its plugin,
/// and the fields it takes — the host's own (connection type narrowed to the
/// ones the type allows) and the plugin's — from the same specs an add is
/// validated against, so a help text can never disagree with the validation.
public struct EndpointForm: Sendable {
    public var type: String
    public var summary: String
    public var plugin: String
    public var pluginVersion: String
    public var connectionTypes: [String]
    public var hostFields: [OptionSpec]
    public var typeFields: [OptionSpec]
}
