/// One file the host writes, backed up and restored as part of an install.
///
/// Build it with the static functions, which read like the content kinds of
/// og_plugin.h: `.keyAndFullChainPEM("/etc/haproxy/site.pem")`. Except for
/// `.literal`, the host produces the bytes from the material being installed,
/// so a private key never passes through a plugin.
public struct FileChange: Sendable, Hashable {
    /// What the host writes (`OG_CONTENT_*`).
    public enum Content: Sendable, Hashable {
        /// Exactly these bytes (configuration text).
        case literal([UInt8])
        /// The leaf, PEM.
        case certificatePEM
        /// The intermediates, PEM, leaf-adjacent first.
        case chainPEM
        /// The leaf then the intermediates, PEM.
        case fullChainPEM
        /// The private key, unencrypted PKCS#8 PEM.
        case privateKeyPEM
        /// The key, then the leaf, then the intermediates, PEM.
        case keyAndFullChainPEM
        /// The existing store at the path with entry `alias` added or replaced.
        /// `passwordOption` names the endpoint option holding the store password;
        /// `legacy` asks for 3DES + SHA-1 MAC PKCS#12 instead of PBES2.
        case keystore(format: KeystoreFormat, alias: String, passwordOption: String, legacy: Bool)

        var carriesPrivateKey: Bool {
            switch self {
            case .privateKeyPEM, .keyAndFullChainPEM, .keystore: return true
            case .literal, .certificatePEM, .chainPEM, .fullChainPEM: return false
            }
        }
    }

    /// An absolute path on the endpoint.
    public var path: String
    public var content: Content
    /// Permission bits for a new file; nil = host default (0600 for key
    /// material, 0644 otherwise). An existing file keeps its mode and owner.
    public var mode: UInt32?
    /// Refuse the plan when the file does not exist yet.
    public var mustExist: Bool
    /// Never show the contents in a diff or log. On by default for key material.
    public var isSecret: Bool

    public init(path: String, content: Content, mode: UInt32? = nil, mustExist: Bool = false, isSecret: Bool? = nil) {
        self.path = path
        self.content = content
        self.mode = mode
        self.mustExist = mustExist
        self.isSecret = isSecret ?? content.carriesPrivateKey
    }

    public static func literal(_ path: String, _ bytes: [UInt8], mode: UInt32? = nil) -> FileChange {
        FileChange(path: path, content: .literal(bytes), mode: mode)
    }

    public static func certificatePEM(_ path: String) -> FileChange {
        FileChange(path: path, content: .certificatePEM)
    }

    public static func chainPEM(_ path: String) -> FileChange {
        FileChange(path: path, content: .chainPEM)
    }

    public static func fullChainPEM(_ path: String) -> FileChange {
        FileChange(path: path, content: .fullChainPEM)
    }

    public static func privateKeyPEM(_ path: String, mode: UInt32 = 0o600) -> FileChange {
        FileChange(path: path, content: .privateKeyPEM, mode: mode)
    }

    public static func keyAndFullChainPEM(_ path: String, mode: UInt32? = nil) -> FileChange {
        FileChange(path: path, content: .keyAndFullChainPEM, mode: mode)
    }

    public static func keystore(_ path: String, format: KeystoreFormat, alias: String, passwordOption: String,
                                legacy: Bool = false) -> FileChange {
        FileChange(path: path, content: .keystore(format: format, alias: alias, passwordOption: passwordOption,
                                                  legacy: legacy))
    }

    /// This change, refused by the host when the file does not exist yet.
    public func requiringExistingFile() -> FileChange {
        var copy = self
        copy.mustExist = true
        return copy
    }

    /// This change, with its contents kept out of diffs and logs.
    public func secret() -> FileChange {
        var copy = self
        copy.isSecret = true
        return copy
    }
}
