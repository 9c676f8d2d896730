/// How og-host reaches an endpoint, spelled as operators type it after
/// `--connection_type`. One type for every layer: the connection layer opens
/// it, the plugin layer encodes it as an OG_CONN_* bit, the CLI validates it.
public enum ConnectionType: String, Codable, Sendable, CaseIterable, Equatable {
    case local
    case ssh
    case sshWindows = "ssh_windows"
    case winrmHTTP = "winrm_http"
    case winrmHTTPS = "winrm_https"
    case winrmHTTPSInsecure = "winrm_https_insecure"
    case rest
    case restInsecure = "rest_insecure"

    /// The port used when the operator gives none.
    public var defaultPort: Int? {
        switch self {
        case .local: return nil
        case .ssh, .sshWindows: return 22
        case .winrmHTTP: return 5985
        case .winrmHTTPS, .winrmHTTPSInsecure: return 5986
        case .rest, .restInsecure: return 443
        }
    }

    public var isSSH: Bool { self == .ssh || self == .sshWindows }
}
