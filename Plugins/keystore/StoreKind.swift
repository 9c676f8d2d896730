import OGPluginKit

/// Which of the plugin's three endpoint types an endpoint is.
enum StoreKind: Sendable {
    case pkcs12
    case jks
    case pem

    /// The word after `tls add`.
    var typeName: String {
        switch self {
        case .pkcs12: return "p12"
        case .jks: return "jks"
        case .pem: return "pem"
        }
    }

    init(typeName: String) throws {
        switch typeName {
        case "p12": self = .pkcs12
        case "jks": self = .jks
        case "pem": self = .pem
        default:
            throw PluginError(status: .invalidArgument, field: "type",
                              message: "'\(typeName)' is not served by the keystore plugin; use p12, jks or pem")
        }
    }

    /// The container format the host reads and writes; nil for PEM files.
    var keystoreFormat: KeystoreFormat? {
        switch self {
        case .pkcs12: return .pkcs12
        case .jks: return .jks
        case .pem: return nil
        }
    }

    /// How operators name the format in messages.
    var formatName: String {
        switch self {
        case .pkcs12: return "PKCS#12"
        case .jks: return "JKS"
        case .pem: return "PEM"
        }
    }
}
