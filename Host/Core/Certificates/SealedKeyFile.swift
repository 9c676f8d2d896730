import Foundation
import OGMaterial

/// The on-disk form of one private key generated or imported on the gateway
/// (`<data>/keys/<certificate id>.key`):
///
///     "OGKY" | version (1 byte) | vault key id (8) | nonce (12) | ciphertext | GCM tag (16)
///
/// The plaintext is the key as unencrypted PKCS#8 DER and exists only in
/// memory. The associated data is the header followed by the certificate ID,
/// so a key file copied over another certificate's file fails authentication
/// instead of being installed with the wrong certificate.
///
/// Sealed with Material's `AES256GCM`, the same API the credential stores use.
struct SealedKeyFile {
    static let magic = Array("OGKY".utf8)
    static let formatVersion: UInt8 = 1
    static let keyIDLength = 8
    static let nonceLength = 12
    static let tagLength = 16
    private static let headerLength = magic.count + 1 + keyIDLength
    private static let minimumLength = headerLength + nonceLength + tagLength

    let keyID: [UInt8]
    let nonce: [UInt8]
    let ciphertext: [UInt8]
    let tag: [UInt8]

    /// Seals `plaintext` for certificate `certificateID` under `vaultKey`, with a fresh random nonce.
    static func seal(_ plaintext: [UInt8], certificateID: String, vaultKey: VaultKey) throws -> [UInt8] {
        let nonce = try randomBytes(nonceLength)
        let header = header(keyID: vaultKey.id)
        let (ciphertext, tag) = try vaultKey.secret.withUnsafeBytes { key in
            try sealing("AES-256-GCM encryption") {
                try AES256GCM.seal(plaintext, key: key, nonce: nonce, associatedData: header + Array(certificateID.utf8))
            }
        }
        return header + nonce + ciphertext + tag
    }

    /// Splits `bytes` read from `path` into its parts, checking magic and version.
    init(parsing bytes: [UInt8], path: String) throws {
        guard bytes.count >= Self.minimumLength, Array(bytes.prefix(Self.magic.count)) == Self.magic else {
            throw GatewayError("\(path): is not an og-host key file (it does not start with the OGKY header); "
                               + "restore it from a backup")
        }
        let version = bytes[Self.magic.count]
        guard version == Self.formatVersion else {
            throw GatewayError("\(path): key file format version \(version) is newer than this og-host understands; "
                               + "upgrade og-host")
        }
        var offset = Self.magic.count + 1
        keyID = Array(bytes[offset..<offset + Self.keyIDLength])
        offset += Self.keyIDLength
        nonce = Array(bytes[offset..<offset + Self.nonceLength])
        offset += Self.nonceLength
        ciphertext = Array(bytes[offset..<bytes.count - Self.tagLength])
        tag = Array(bytes.suffix(Self.tagLength))
    }

    /// The plaintext, or nil when authentication fails (altered file, another
    /// certificate's file, or another vault key). The caller wipes it.
    func open(certificateID: String, vaultKey: VaultKey) throws -> [UInt8]? {
        try vaultKey.secret.withUnsafeBytes { key in
            try Self.sealing("AES-256-GCM decryption") {
                try AES256GCM.open(ciphertext, tag: tag, key: key, nonce: nonce,
                                   associatedData: Self.header(keyID: keyID) + Array(certificateID.utf8))
            }
        }
    }

    private static func header(keyID: [UInt8]) -> [UInt8] {
        magic + [formatVersion] + keyID
    }

    static func randomBytes(_ count: Int) throws -> [UInt8] {
        do {
            return try SecureRandom.bytes(count)
        } catch {
            throw GatewayError("the system's random number generator failed (\(error)); check that /dev/urandom is readable")
        }
    }

    /// Overwrites `bytes` in a way the optimiser keeps.
    static func wipe(_ bytes: inout [UInt8]) { SecureMemory.wipe(&bytes) }

    private static func sealing<Result>(_ operation: String, _ body: () throws -> Result) throws -> Result {
        do { return try body() } catch { throw GatewayError("OpenSSL \(operation) failed: \(error)") }
    }
}
