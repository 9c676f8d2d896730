import OGMaterial

/// The credential layer's view of Material's sealing API (`AES256GCM`,
/// `SecureRandom`, `SecureMemory`, `Digest`): the same primitives, with
/// failures reported as `CredentialsError`. No cryptography lives here.
enum AESGCM {
    static let keyLength = AES256GCM.keyLength
    static let nonceLength = AES256GCM.nonceLength
    static let tagLength = AES256GCM.tagLength

    /// `count` bytes from the CSPRNG.
    static func randomBytes(_ count: Int) throws -> [UInt8] {
        do { return try SecureRandom.bytes(count) } catch { throw CredentialsError.crypto(operation: "RAND_bytes", reason: "\(error)") }
    }

    /// Encrypts `plaintext` and authenticates it together with `associatedData`.
    static func seal(_ plaintext: [UInt8], key: Secret, nonce: [UInt8],
                     associatedData: [UInt8]) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        do {
            return try key.withUnsafeBytes { try AES256GCM.seal(plaintext, key: $0, nonce: nonce, associatedData: associatedData) }
        } catch {
            throw CredentialsError.crypto(operation: "AES-256-GCM encryption", reason: "\(error)")
        }
    }

    /// Decrypts `ciphertext`; nil when the tag does not match.
    static func open(_ ciphertext: [UInt8], tag: [UInt8], key: Secret, nonce: [UInt8],
                     associatedData: [UInt8]) throws -> [UInt8]? {
        do {
            return try key.withUnsafeBytes {
                try AES256GCM.open(ciphertext, tag: tag, key: $0, nonce: nonce, associatedData: associatedData)
            }
        } catch {
            throw CredentialsError.crypto(operation: "AES-256-GCM decryption", reason: "\(error)")
        }
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] { Digest.sha256(bytes) }

    static func wipe(_ bytes: inout [UInt8]) { SecureMemory.wipe(&bytes) }
}
