import OGBasics
import OGPlugins
import OGPluginABI

/// An og_endpoint before it is laid out in memory.
struct EndpointInput {
    var type: RawText
    var name: RawText
    var host: RawText
    var connectionType: UInt32
    var platform: UInt32
    var port: UInt32
    var options: [(name: RawText, value: RawText)]
    /// Bytes appended after the 1.0 struct and counted in struct_size (a newer host's endpoint).
    var extraSize = 0

    /// What `tls add` would record for `type`: defaults applied, plausible values for
    /// the rest, the first connection type it allows (local when it allows that).
    static func plausible(for type: EndpointTypeInfo) -> EndpointInput {
        let connection = type.connectionTypes.contains(.local) ? ConnectionType.local : (type.connectionTypes.first ?? .local)
        return EndpointInput(
            type: Array(type.name.utf8), name: Array("og-conformance".utf8),
            host: connection == .local ? [] : Array("og-conformance.invalid".utf8),
            connectionType: connection.bit, platform: connection.platform, port: UInt32(connection.defaultPort ?? 0),
            options: type.options.map { (Array($0.name.utf8), Array(plausibleValue(for: $0).utf8)) })
    }

    /// A value `OptionValueCheck` accepts for `option`, preferring its default.
    static func plausibleValue(for option: OptionSpec) -> String {
        if let value = option.defaultValue { return value }
        func fitted(_ text: String) -> String {
            var value = text
            if option.max > 0, value.count > Int(option.max) { value = String(value.prefix(Int(option.max))) }
            if value.count < Int(max(option.min, 0)) { value += String(repeating: "x", count: Int(option.min) - value.count) }
            return value
        }
        switch option.kind {
        case .boolean: return "false"
        case .enumeration: return option.allowedValues.first ?? ""
        case .integer:
            return option.min <= 1 && (option.max == 0 || option.max >= 1) ? "1" : String(option.min)
        case .path: return fitted("/og-conformance/\(option.name)")
        case .string: return fitted(option.secret ? "og-conformance-secret" : "og-conformance")
        }
    }

    func build(in memory: CallMemory) -> UnsafePointer<og_endpoint> {
        let rawOptions = options.map { og_option(name: memory.str($0.name), value: memory.str($0.value)) }
        return UnsafePointer(memory.value(og_endpoint(
            struct_size: UInt32(MemoryLayout<og_endpoint>.size + extraSize), type: memory.str(type), name: memory.str(name),
            connection_type: connectionType, platform: platform, host: memory.str(host), port: port,
            options: memory.array(rawOptions), option_count: rawOptions.count), extraSize: extraSize))
    }
}

/// An og_install_request (and the og_certificate_info it points to) before layout.
struct RequestInput {
    var nodeID: RawText = []
    var alias: RawText = []
    var subject: RawText = Array("CN=conformance.example.test,O=og-host conformance".utf8)
    var commonName: RawText = Array("conformance.example.test".utf8)
    var dnsNames: [RawText] = [Array("conformance.example.test".utf8), Array("www.conformance.example.test".utf8)]
    var ipAddresses: [RawText] = [Array("127.0.0.1".utf8)]
    var serialHex: RawText = Array("0a1b2c3d4e5f".utf8)
    var fingerprint: RawText = Array(String(repeating: "ab", count: 32).utf8)
    var keyAlgorithm: RawText = Array("EC-P256".utf8)
    var issuer: RawText = Array("CN=og-host conformance CA".utf8)
    var chainLength = 1
    var flags = UInt32(OG_INSTALL_DRY_RUN)
    /// Bytes appended to both the request and the certificate info, counted in their struct_size.
    var extraSize = 0

    func build(in memory: CallMemory) -> UnsafePointer<og_install_request> {
        let dns = dnsNames.map { memory.str($0) }
        let ips = ipAddresses.map { memory.str($0) }
        let certificate = memory.value(og_certificate_info(
            struct_size: UInt32(MemoryLayout<og_certificate_info>.size + extraSize), subject: memory.str(subject),
            common_name: memory.str(commonName), dns_names: memory.array(dns), dns_name_count: dns.count,
            ip_addresses: memory.array(ips), ip_address_count: ips.count, serial_hex: memory.str(serialHex),
            sha256_fingerprint: memory.str(fingerprint), not_before: 1_700_000_000, not_after: 1_707_776_000,
            key_algorithm: memory.str(keyAlgorithm), issuer: memory.str(issuer)), extraSize: extraSize)
        return UnsafePointer(memory.value(og_install_request(
            struct_size: UInt32(MemoryLayout<og_install_request>.size + extraSize), node_id: memory.str(nodeID),
            alias: memory.str(alias), certificate: UnsafePointer(certificate), chain_length: chainLength, flags: flags),
            extraSize: extraSize))
    }
}

/// Inputs outside what the host ever sends, each of which a plugin must answer
/// with a status (any status) instead of a crash. NULL where the header says a
/// pointer is required is not among them: that is not part of the contract.
enum HostileInput: CaseIterable {
    case emptyStrings, nullStrings, megabyteStrings, invalidUTF8, unknownOptions, largerStructs

    var label: String {
        switch self {
        case .emptyStrings: return "empty strings"
        case .nullStrings: return "NULL og_str pointers with length 0"
        case .megabyteStrings: return "1 MiB strings"
        case .invalidUTF8: return "invalid UTF-8 in option values"
        case .unknownOptions: return "unknown options"
        case .largerStructs: return "struct_size larger than 1.0 (padding appended)"
        }
    }

    private static let megabyte = [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
    /// A lone continuation byte, a truncated sequence, bytes never valid in UTF-8, an overlong NUL.
    private static let invalid: [UInt8] = [0x80, 0x63, 0xC3, 0x28, 0xFF, 0xFE, 0xC0, 0x80]

    func apply(to endpoint: EndpointInput) -> EndpointInput {
        var result = endpoint
        switch self {
        case .emptyStrings:
            result.type = []; result.name = []; result.host = []
            result.options = endpoint.options.map { ($0.name, []) }
        case .nullStrings:
            result.type = nil; result.name = nil; result.host = nil
            result.options = endpoint.options.map { ($0.name, nil) }
        case .megabyteStrings:
            result.name = Self.megabyte; result.host = Self.megabyte
            result.options = endpoint.options.map { ($0.name, Self.megabyte) }
        case .invalidUTF8:
            result.name = Self.invalid
            result.options = endpoint.options.map { ($0.name, Self.invalid) }
        case .unknownOptions:
            result.options += [(Array("og_conformance_unknown".utf8), Array("1".utf8)),
                               (Array(String(repeating: "z", count: 200).utf8), Array("unknown".utf8))]
        case .largerStructs:
            result.extraSize = 64
        }
        return result
    }

    func apply(to request: RequestInput) -> RequestInput {
        var result = request
        switch self {
        case .emptyStrings:
            result.subject = []; result.commonName = []; result.issuer = []; result.dnsNames = [[]]
        case .nullStrings:
            result.nodeID = nil; result.alias = nil; result.subject = nil; result.commonName = nil
            result.serialHex = nil; result.fingerprint = nil; result.keyAlgorithm = nil; result.issuer = nil
            result.dnsNames = [nil]; result.ipAddresses = []
        case .megabyteStrings:
            result.nodeID = Self.megabyte; result.alias = Self.megabyte; result.commonName = Self.megabyte
            result.dnsNames = [Self.megabyte]
        case .invalidUTF8:
            result.nodeID = Self.invalid; result.alias = Self.invalid; result.commonName = Self.invalid
            result.dnsNames = [Self.invalid]
        case .unknownOptions:
            result.nodeID = Array("og-conformance-no-such-node".utf8)
        case .largerStructs:
            result.extraSize = 64
        }
        return result
    }

    func apply(toUndoToken token: [UInt8]) -> RawText {
        switch self {
        case .emptyStrings: return []
        case .nullStrings: return nil
        case .megabyteStrings: return [UInt8](repeating: 0xA5, count: 1 << 20)
        case .invalidUTF8: return Self.invalid
        case .unknownOptions: return Array("og-conformance-unknown-token".utf8)
        case .largerStructs: return token
        }
    }
}
