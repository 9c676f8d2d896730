import Foundation

/// Failures of the credentials layer. Messages name the store, credential or
/// file, say what is wrong and what to do; none ever contains a secret.
public enum CredentialsError: Error, CustomStringConvertible, Equatable {
    case notFound(store: String, id: String)
    case idTaken(store: String, id: String)
    case invalidValue(field: String, value: String, problem: String)
    /// AES-GCM refused the file: its bytes changed, or it was sealed with another key.
    case authenticationFailed(path: String, hint: String)
    case notAStoreFile(path: String, problem: String)
    case unsupportedFormatVersion(path: String, version: UInt8)
    case damagedStoreContents(path: String)
    case masterKeyExposed(path: String, mode: mode_t)
    case masterKeyWrongOwner(path: String, owner: uid_t)
    case masterKeyInvalid(path: String, problem: String)
    case masterKeyMissing(keyPath: String, storePath: String)
    case crypto(operation: String, reason: String)
    /// A secret given as `-` or `env:NAME` could not be read.
    case secretInput(option: String, problem: String)

    public var description: String {
        switch self {
        case .notFound(let store, let id):
            return "credential store \"\(store)\": no credential with ID \"\(id)\"; list the store to see its IDs"
        case .idTaken(let store, let id):
            return "credential store \"\(store)\": a credential with ID \"\(id)\" already exists; update it or choose another ID"
        case .invalidValue(let field, let value, let problem):
            return "\(field): \"\(value)\" \(problem)"
        case .authenticationFailed(let path, let hint):
            return "\(path): authentication failed: file was modified or the key is wrong; \(hint)"
        case .notAStoreFile(let path, let problem):
            return "\(path): is not an og-host credential store (\(problem)); move it away or restore it from a backup"
        case .unsupportedFormatVersion(let path, let version):
            return "\(path): credential store format version \(version) is newer than this og-host understands; upgrade og-host"
        case .damagedStoreContents(let path):
            return "\(path): decrypted, but its contents are not a credential store this og-host can read; "
                + "restore it from a backup or upgrade og-host"
        case .masterKeyExposed(let path, let mode):
            return "\(path): refusing to use the master key: its mode \(String(mode & 0o777, radix: 8)) lets group or "
                + "others read it, and it decrypts every stored credential; run `chmod 600 \(path)`"
        case .masterKeyWrongOwner(let path, let owner):
            return "\(path): refusing to use the master key: it is owned by uid \(owner), who could replace it; "
                + "run `chown \(geteuid()) \(path)` or use this user's own key (OG_MASTER_KEY_FILE)"
        case .masterKeyInvalid(let path, let problem):
            return "\(path): not a usable master key: \(problem); restore the key from a backup"
        case .masterKeyMissing(let keyPath, let storePath):
            return "\(keyPath): master key not found, but \(storePath) was encrypted with one; restore the key "
                + "from a backup or point OG_MASTER_KEY_FILE at it"
        case .crypto(let operation, let reason):
            return "OpenSSL \(operation) failed: \(reason)"
        case .secretInput(let option, let problem):
            return "\(option): \(problem)"
        }
    }
}
