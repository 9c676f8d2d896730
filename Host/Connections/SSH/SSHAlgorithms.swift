import CSSH2
import Foundation

/// The SSH algorithms og-host offers. By default only modern ones, roughly
/// what OpenSSH 9's client offers among those libssh2 1.10 implements; an
/// endpoint that is a legacy device opts in to named weak algorithms one by
/// one (`--ssh_legacy_algorithms ssh-rsa,diffie-hellman-group14-sha1`), so the
/// configuration says exactly what it enables.
public struct SSHAlgorithms: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case keyExchange = "key exchange", hostKey = "host key", cipher, mac = "MAC"

        var method: Int32 {
            switch self {
            case .keyExchange: return LIBSSH2_METHOD_KEX
            case .hostKey: return LIBSSH2_METHOD_HOSTKEY
            case .cipher: return LIBSSH2_METHOD_CRYPT_CS
            case .mac: return LIBSSH2_METHOD_MAC_CS
            }
        }
    }

    /// Modern algorithms, most preferred first.
    static let modern: [Kind: [String]] = [
        .keyExchange: ["curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
                       "ecdh-sha2-nistp521", "diffie-hellman-group-exchange-sha256", "diffie-hellman-group16-sha512",
                       "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256"],
        .hostKey: ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                   "rsa-sha2-512", "rsa-sha2-256"],
        .cipher: ["aes256-ctr", "aes192-ctr", "aes128-ctr"],
        .mac: ["hmac-sha2-256", "hmac-sha2-512"],
    ]

    /// Weak algorithms an endpoint may opt in to, each named as SSH names it.
    public static let legacy: [String: Kind] = [
        "diffie-hellman-group14-sha1": .keyExchange, "diffie-hellman-group-exchange-sha1": .keyExchange,
        "diffie-hellman-group1-sha1": .keyExchange,
        "ssh-rsa": .hostKey, "ssh-dss": .hostKey,
        "aes256-cbc": .cipher, "aes192-cbc": .cipher, "aes128-cbc": .cipher, "3des-cbc": .cipher,
        "hmac-sha1": .mac, "hmac-sha1-96": .mac, "hmac-md5": .mac, "hmac-md5-96": .mac,
    ]

    /// The legacy algorithms this endpoint enables, as given.
    public let enabledLegacy: [String]

    public static let modernOnly = SSHAlgorithms()

    public init() { enabledLegacy = [] }

    /// Parses a comma-separated list of legacy algorithm names; an unknown
    /// name is refused, naming the ones that can be given.
    public init(legacy text: String) throws {
        var names: [String] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard Self.legacy[name] != nil else {
                throw ConnectionError.invalidArgument(
                    field: "field `ssh_legacy_algorithms`",
                    problem: "'\(name)' is not a legacy algorithm og-host can enable; give some of: "
                        + Self.legacy.keys.sorted().joined(separator: ", "))
            }
            if !names.contains(name) { names.append(name) }
        }
        enabledLegacy = names
    }

    /// The preference list for `kind`: modern first, then the enabled legacy ones.
    func preference(_ kind: Kind) -> String {
        (Self.modern[kind, default: []] + enabledLegacy.filter { Self.legacy[$0] == kind }).joined(separator: ",")
    }

    /// Sets the preference lists on a session before its handshake. Names
    /// libssh2 does not implement are dropped by libssh2 itself.
    func apply(to session: OpaquePointer) -> (kind: Kind, code: Int32)? {
        for kind in Kind.allCases {
            let list = preference(kind)
            let result = libssh2_session_method_pref(session, kind.method, list)
            if result != 0 { return (kind, result) }
            // The server-to-client direction gets the same list.
            let reverse: Int32? = kind == .cipher ? LIBSSH2_METHOD_CRYPT_SC : kind == .mac ? LIBSSH2_METHOD_MAC_SC : nil
            if let reverse, libssh2_session_method_pref(session, reverse, list) != 0 { return (kind, result) }
        }
        return nil
    }
}
