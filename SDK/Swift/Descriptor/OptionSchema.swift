import OGPluginABI

/// One type-specific option of an endpoint type, as `tls add <type> --<name>` takes it.
/// The host validates values against the schema before the plugin sees them.
public struct OptionSchema: Sendable, Hashable {
    /// How the host checks a value. Values always reach the plugin as text.
    public enum Kind: Sendable, Hashable {
        /// Text whose length in characters lies within the limits.
        case string
        /// A decimal integer within the limits.
        case integer
        /// `true` or `false`.
        case boolean
        /// Like `.string`, without NUL or newline; interpreted on the endpoint.
        case path
        /// One of the listed values.
        case enumeration([String])
    }

    /// As typed after `--`: `[a-z0-9_]{1,40}`.
    public var name: String
    public var kind: Kind
    /// Must be given on `tls add`.
    public var isRequired: Bool
    /// Kept in the credential store and masked in output; never log it.
    public var isSecret: Bool
    /// Strings and paths: the shortest length; integers: the smallest value. Nil = no limit.
    public var minimum: Int64?
    /// Strings and paths: the longest length; integers: the largest value. Nil = no limit.
    public var maximum: Int64?
    /// Applied by the host when the operator gives none.
    public var defaultValue: String?
    /// One or two sentences for `tls add <type> --help`.
    public var help: String

    /// A limit that the C descriptor cannot tell apart from "no limit" (a
    /// zero length, or the extreme integer) is stored as nil, so a schema
    /// reads back from its C form exactly as it was written.
    public init(name: String, kind: Kind, isRequired: Bool = false, isSecret: Bool = false,
                minimum: Int64? = nil, maximum: Int64? = nil, defaultValue: String? = nil, help: String) {
        self.name = name
        self.kind = kind
        self.isRequired = isRequired
        self.isSecret = isSecret
        self.minimum = Self.canonicalLimit(minimum, unlimited: kind == .integer ? Int64.min : 0)
        self.maximum = Self.canonicalLimit(maximum, unlimited: kind == .integer ? Int64.max : 0)
        self.defaultValue = defaultValue
        self.help = help
    }

    private static func canonicalLimit(_ limit: Int64?, unlimited: Int64) -> Int64? {
        limit == unlimited ? nil : limit
    }

    var kindCode: UInt32 {
        switch kind {
        case .string: return UInt32(OG_OPTION_STRING)
        case .integer: return UInt32(OG_OPTION_INTEGER)
        case .boolean: return UInt32(OG_OPTION_BOOLEAN)
        case .path: return UInt32(OG_OPTION_PATH)
        case .enumeration: return UInt32(OG_OPTION_ENUM)
        }
    }

    /// The C encoding of the limits: 0 means "no limit" for lengths, the
    /// extreme values do for integers.
    var encodedLimits: (minimum: Int64, maximum: Int64) {
        if kind == .integer { return (minimum ?? .min, maximum ?? .max) }
        return (minimum ?? 0, maximum ?? 0)
    }
}
