/// The named elliptic curves og-host generates keys on.
public enum EllipticCurve: String, Sendable, Hashable, CaseIterable {
    case p256 = "P-256"
    case p384 = "P-384"

    /// OpenSSL's group name for the curve.
    var groupName: String { rawValue }
}

/// What kind of private key to generate.
public enum KeySpec: Sendable, Hashable, CustomStringConvertible {
    case rsa(bits: Int)
    case ecdsa(curve: EllipticCurve)

    /// Every spec og-host generates, in the order offered to users.
    public static let supported: [KeySpec] = [
        .rsa(bits: 2048), .rsa(bits: 3072), .rsa(bits: 4096), .ecdsa(curve: .p256), .ecdsa(curve: .p384),
    ]

    static let supportedRSABits = [2048, 3072, 4096]

    /// Parses the names users type: "rsa2048", "rsa-3072", "ec-p256", "ecdsa-p384", "p256" (any case).
    /// `field` names the option the text came from, for the error message.
    public init(parsing text: String, field: String = "key type") throws {
        let compact = text.lowercased().filter { $0 != "-" && $0 != "_" && $0 != " " }
        if compact.hasPrefix("rsa"), let bits = Int(compact.dropFirst(3)), KeySpec.supportedRSABits.contains(bits) {
            self = .rsa(bits: bits)
            return
        }
        for prefix in ["ecdsa", "ec", ""] where compact.hasPrefix(prefix) {
            switch compact.dropFirst(prefix.count) {
            case "p256", "secp256r1", "prime256v1": self = .ecdsa(curve: .p256); return
            case "p384", "secp384r1": self = .ecdsa(curve: .p384); return
            default: continue
            }
        }
        let names = KeySpec.supported.map(\.description).joined(separator: ", ")
        throw MaterialError.invalidField(field: field, value: text, problem: "is not a supported key type; use one of \(names)")
    }

    /// The canonical name, which `init(parsing:)` accepts: "rsa2048", "ec-p256".
    public var description: String {
        switch self {
        case .rsa(let bits): return "rsa\(bits)"
        case .ecdsa(let curve): return curve == .p256 ? "ec-p256" : "ec-p384"
        }
    }
}
