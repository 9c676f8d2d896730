import OGPluginABI

/// The ways the host may reach an endpoint (`OG_CONN_*`), spelled the way
/// operators type them after `--connection_type`.
public struct ConnectionTypes: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let local = ConnectionTypes(rawValue: OG_CONN_LOCAL)
    public static let ssh = ConnectionTypes(rawValue: OG_CONN_SSH)
    public static let sshWindows = ConnectionTypes(rawValue: OG_CONN_SSH_WINDOWS)
    public static let winrmHTTP = ConnectionTypes(rawValue: OG_CONN_WINRM_HTTP)
    public static let winrmHTTPS = ConnectionTypes(rawValue: OG_CONN_WINRM_HTTPS)
    public static let winrmHTTPSInsecure = ConnectionTypes(rawValue: OG_CONN_WINRM_HTTPS_INSECURE)
    public static let rest = ConnectionTypes(rawValue: OG_CONN_REST)
    public static let restInsecure = ConnectionTypes(rawValue: OG_CONN_REST_INSECURE)

    /// Every known type with its operator spelling, in bit order.
    public static let spellings: [(type: ConnectionTypes, spelling: String)] = [
        (.local, "local"), (.ssh, "ssh"), (.sshWindows, "ssh_windows"), (.winrmHTTP, "winrm_http"),
        (.winrmHTTPS, "winrm_https"), (.winrmHTTPSInsecure, "winrm_https_insecure"),
        (.rest, "rest"), (.restInsecure, "rest_insecure"),
    ]

    /// The type an operator spelled (`"ssh"`), or nil for an unknown word.
    public init?(spelling: String) {
        guard let match = Self.spellings.first(where: { $0.spelling == spelling }) else { return nil }
        self = match.type
    }

    /// The operator spellings of the members, in bit order; unknown bits are left out.
    public var spelledNames: [String] {
        Self.spellings.filter { contains($0.type) }.map(\.spelling)
    }

    public var description: String {
        let unknown = rawValue & ~Self.spellings.reduce(0) { $0 | $1.type.rawValue }
        let names = spelledNames + (unknown == 0 ? [] : ["0x" + String(unknown, radix: 16)])
        return names.isEmpty ? "none" : names.joined(separator: ",")
    }
}
