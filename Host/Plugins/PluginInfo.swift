import OGBasics
import OGPluginABI

/// What a plugin says about itself: the host's copy of og_plugin_descriptor.
/// Codable so it can live in a manifest beside the library.
public struct PluginInfo: Codable, Equatable, Sendable {
    public var name: String
    public var version: String
    public var license: String
    public var summary: String
    public var sdkMajor: UInt32
    public var sdkMinor: UInt32
    public var types: [EndpointTypeInfo]

    public init(name: String, version: String, license: String, summary: String,
                sdkMajor: UInt32, sdkMinor: UInt32, types: [EndpointTypeInfo]) {
        self.name = name
        self.version = version
        self.license = license
        self.summary = summary
        self.sdkMajor = sdkMajor
        self.sdkMinor = sdkMinor
        self.types = types
    }

    public func type(named name: String) -> EndpointTypeInfo? { types.first { $0.name == name } }
}

public struct EndpointTypeInfo: Codable, Equatable, Sendable {
    public var name: String
    public var summary: String
    public var connectionTypes: [ConnectionType]
    public var capabilities: [Capability]
    public var options: [OptionSpec]

    public func option(named name: String) -> OptionSpec? { options.first { $0.name == name } }
    public func has(_ capability: Capability) -> Bool { capabilities.contains(capability) }
}

extension ConnectionType {
    /// The OG_CONN_* bit; the order of `allCases` is the bit order in the header.
    public var bit: UInt32 { 1 << UInt32(Self.allCases.firstIndex(of: self)!) }

    public static func from(mask: UInt32) -> [ConnectionType] { allCases.filter { mask & $0.bit != 0 } }

    /// The OG_PLATFORM_* value plugins see for this connection type.
    public var platform: UInt32 {
        switch self {
        case .local, .ssh: return UInt32(OG_PLATFORM_POSIX)
        case .sshWindows, .winrmHTTP, .winrmHTTPS, .winrmHTTPSInsecure: return UInt32(OG_PLATFORM_WINDOWS)
        case .rest, .restInsecure: return UInt32(OG_PLATFORM_APPLIANCE)
        }
    }
}

public enum Capability: String, Codable, CaseIterable, Sendable {
    case testConnection = "test_connection"
    case discover
    case install
    case configTest = "config_test"
    case activate
    case restart
    case apply
    case verifyServed = "verify_served"

    public var bit: UInt32 { 1 << UInt32(Self.allCases.firstIndex(of: self)!) }
    public static func from(mask: UInt32) -> [Capability] { allCases.filter { mask & $0.bit != 0 } }
}

public struct OptionSpec: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable { case string, integer, boolean, path, enumeration }
    public var name: String
    public var kind: Kind
    public var required: Bool
    public var secret: Bool
    public var min: Int64
    public var max: Int64
    public var allowedValues: [String]
    public var defaultValue: String?
    public var help: String

    public init(name: String, kind: Kind, required: Bool = false, secret: Bool = false, min: Int64 = 0,
                max: Int64 = 0, allowedValues: [String] = [], defaultValue: String? = nil, help: String) {
        self.name = name
        self.kind = kind
        self.required = required
        self.secret = secret
        self.min = min
        self.max = max
        self.allowedValues = allowedValues
        self.defaultValue = defaultValue
        self.help = help
    }
}

/// Reasons a descriptor cannot be accepted. Each names the offending part.
public struct DescriptorProblem: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension PluginInfo {
    /// [a-z0-9] first, then up to `maxLength - 1` of [a-z0-9_] (and '-' when allowed).
    static func isIdentifier(_ text: String, maxLength: Int, allowDash: Bool) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, bytes.count <= maxLength else { return false }
        func isAlnum(_ byte: UInt8) -> Bool { (0x61...0x7a).contains(byte) || (0x30...0x39).contains(byte) }
        return isAlnum(first) && bytes.dropFirst().allSatisfy { isAlnum($0) || $0 == 0x5f || (allowDash && $0 == 0x2d) }
    }

    /// Options the host owns for every endpoint type; a plugin may not redefine them.
    public static let hostOptionNames: Set<String> = [
        "name", "connection_type", "host", "port", "user", "password", "ssh_key_path",
        "ssh_key_password", "store", "store_cred_id", "help", "sudo_password", "sudo",
        "host_key_fingerprint", "ssh_legacy_algorithms",
    ]

    /// Reads a C descriptor field by field, checking every pointer and size.
    static func read(_ pointer: UnsafePointer<og_plugin_descriptor>) throws(DescriptorProblem) -> PluginInfo {
        let raw = pointer.pointee
        let minimum = MemoryLayout<og_plugin_descriptor>.size
        guard Int(raw.struct_size) >= minimum else {
            throw DescriptorProblem("descriptor struct_size \(raw.struct_size) is smaller than \(minimum), the 1.0 size")
        }
        guard let name = CText.cString(raw.name) else { throw DescriptorProblem("descriptor name is missing or not UTF-8") }
        guard let version = CText.cString(raw.version) else { throw DescriptorProblem("descriptor version is missing or not UTF-8") }
        let license = CText.cString(raw.license) ?? ""
        let summary = CText.cString(raw.summary) ?? ""
        guard raw.type_count >= 1, raw.type_count <= 64, raw.types != nil else {
            throw DescriptorProblem("descriptor must list 1 to 64 endpoint types (lists \(raw.type_count))")
        }
        let rawTypes: [og_endpoint_type]
        switch StridedArray.read(raw.types, count: raw.type_count, limit: 64) {
        case .success(let elements): rawTypes = elements
        case .failure(let problem): throw DescriptorProblem("endpoint types: \(problem.description)")
        }
        var types: [EndpointTypeInfo] = []
        for (index, type) in rawTypes.enumerated() {
            types.append(try readType(type, index: index))
        }
        let info = PluginInfo(name: name, version: version, license: license, summary: summary,
                              sdkMajor: raw.sdk_major, sdkMinor: raw.sdk_minor, types: types)
        try info.validate()
        return info
    }

    private static func readType(_ raw: og_endpoint_type, index: Int) throws(DescriptorProblem) -> EndpointTypeInfo {
        guard let name = CText.cString(raw.name, limit: 64) else {
            throw DescriptorProblem("endpoint type #\(index): name is missing or not UTF-8")
        }
        guard raw.option_count <= 256, raw.option_count == 0 || raw.options != nil else {
            throw DescriptorProblem("endpoint type '\(name)': option list is malformed (count \(raw.option_count))")
        }
        let rawOptions: [og_option_schema]
        switch StridedArray.read(raw.options, count: raw.option_count, limit: 256) {
        case .success(let elements): rawOptions = elements
        case .failure(let problem): throw DescriptorProblem("type '\(name)' options: \(problem.description)")
        }
        var options: [OptionSpec] = []
        for (optionIndex, option) in rawOptions.enumerated() {
            options.append(try readOption(option, type: name, index: optionIndex))
        }
        return EndpointTypeInfo(name: name, summary: CText.cString(raw.summary) ?? "",
                                connectionTypes: ConnectionType.from(mask: raw.connection_types),
                                capabilities: Capability.from(mask: raw.capabilities), options: options)
    }

    private static func readOption(_ raw: og_option_schema, type: String, index: Int) throws(DescriptorProblem) -> OptionSpec {
        guard let name = CText.cString(raw.name, limit: 64) else {
            throw DescriptorProblem("type '\(type)' option #\(index): name is missing or not UTF-8")
        }
        let kind: OptionSpec.Kind
        switch Int32(raw.kind) {
        case OG_OPTION_STRING: kind = .string
        case OG_OPTION_INTEGER: kind = .integer
        case OG_OPTION_BOOLEAN: kind = .boolean
        case OG_OPTION_PATH: kind = .path
        case OG_OPTION_ENUM: kind = .enumeration
        default: throw DescriptorProblem("type '\(type)' option '\(name)': unknown kind \(raw.kind)")
        }
        var allowed: [String] = []
        if raw.allowed_count > 0 {
            guard raw.allowed_count <= 256, let values = raw.allowed_values else {
                throw DescriptorProblem("type '\(type)' option '\(name)': allowed_values is malformed")
            }
            for valueIndex in 0..<raw.allowed_count {
                guard let value = CText.cString(values[valueIndex], limit: 256) else {
                    throw DescriptorProblem("type '\(type)' option '\(name)': allowed value #\(valueIndex) is missing or not UTF-8")
                }
                allowed.append(value)
            }
        }
        return OptionSpec(name: name, kind: kind, required: raw.flags & UInt32(OG_OPTION_REQUIRED) != 0,
                          secret: raw.flags & UInt32(OG_OPTION_SECRET) != 0, min: raw.min, max: raw.max,
                          allowedValues: allowed, defaultValue: CText.cString(raw.default_value),
                          help: CText.cString(raw.help) ?? "")
    }

    /// The rules every descriptor must satisfy, whether read from a library or a manifest.
    public func validate() throws(DescriptorProblem) {
        guard Self.isIdentifier(name, maxLength: 40, allowDash: true) else {
            throw DescriptorProblem("plugin name '\(name)' must match [a-z0-9][a-z0-9_-]{0,39}")
        }
        guard !version.isEmpty, version.count <= 64 else { throw DescriptorProblem("plugin version must be 1 to 64 characters") }
        guard sdkMajor == UInt32(OG_ABI_MAJOR) else {
            throw DescriptorProblem("descriptor says SDK \(sdkMajor).\(sdkMinor); this host speaks major \(OG_ABI_MAJOR)")
        }
        var seenTypes = Set<String>()
        for type in types {
            guard Self.isIdentifier(type.name, maxLength: 32, allowDash: false) else {
                throw DescriptorProblem("endpoint type '\(type.name)' must match [a-z0-9][a-z0-9_]{0,31}")
            }
            guard seenTypes.insert(type.name).inserted else { throw DescriptorProblem("endpoint type '\(type.name)' is listed twice") }
            guard !type.connectionTypes.isEmpty else {
                throw DescriptorProblem("endpoint type '\(type.name)' allows no connection type")
            }
            var seenOptions = Set<String>()
            for option in type.options {
                let label = "type '\(type.name)' option '\(option.name)'"
                guard Self.isIdentifier(option.name, maxLength: 40, allowDash: false) else {
                    throw DescriptorProblem("\(label): name must match [a-z0-9][a-z0-9_]{0,39}")
                }
                guard !Self.hostOptionNames.contains(option.name) else {
                    throw DescriptorProblem("\(label): the host owns this option; a plugin may not redefine it")
                }
                guard seenOptions.insert(option.name).inserted else { throw DescriptorProblem("\(label) is listed twice") }
                guard option.min >= 0 || option.kind == .integer else { throw DescriptorProblem("\(label): min length is negative") }
                guard option.max == 0 || option.min <= option.max else {
                    throw DescriptorProblem("\(label): min \(option.min) is greater than max \(option.max)")
                }
                if option.kind == .enumeration, option.allowedValues.isEmpty {
                    throw DescriptorProblem("\(label): an enumeration needs allowed values")
                }
                if option.required, option.defaultValue != nil {
                    throw DescriptorProblem("\(label): a required option cannot have a default")
                }
                if let defaultValue = option.defaultValue, let problem = OptionValueCheck.problem(with: defaultValue, for: option) {
                    throw DescriptorProblem("\(label): default '\(defaultValue)' is invalid: \(problem)")
                }
            }
        }
    }
}

/// Validation of one option value against its schema: the same rules for
/// defaults in descriptors and for what operators type.
public enum OptionValueCheck {
    /// nil when `value` is acceptable; otherwise what is wrong, phrased to follow "--name: ".
    public static func problem(with value: String, for option: OptionSpec) -> String? {
        switch option.kind {
        case .string, .path:
            let length = Int64(value.count)
            let lower = max(option.min, 0)
            if length < lower || (option.max > 0 && length > option.max) {
                let range = option.max > 0 ? "between \(lower) and \(option.max)" : "at least \(lower)"
                return "must be \(range) characters (got \(length))"
            }
            if value.contains("\0") { return "must not contain a NUL character" }
            if option.kind == .path, value.contains(where: { $0 == "\n" || $0 == "\r" }) {
                return "must not contain a line break"
            }
            return nil
        case .integer:
            guard let number = Int64(value) else { return "'\(value)' is not an integer" }
            if number < option.min || (option.max != 0 && number > option.max) {
                return "\(number) is not between \(option.min) and \(option.max)"
            }
            return nil
        case .boolean:
            return value == "true" || value == "false" ? nil : "'\(value)' must be true or false"
        case .enumeration:
            return option.allowedValues.contains(value)
                ? nil : "'\(value)' is not one of: \(option.allowedValues.joined(separator: ", "))"
        }
    }
}
