import COpenSSL
import Foundation

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
/// OGCredentials seals its stores the same way but keeps its AES-GCM
/// primitive internal to that module; this is the one other user of it, and
/// should call it once that module exports a sealing API.
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
            try GCM.seal(plaintext, key: key, nonce: nonce, associatedData: header + Array(certificateID.utf8))
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
            try GCM.open(ciphertext, tag: tag, key: key, nonce: nonce,
                         associatedData: Self.header(keyID: keyID) + Array(certificateID.utf8))
        }
    }

    private static func header(keyID: [UInt8]) -> [UInt8] {
        magic + [formatVersion] + keyID
    }

    static func randomBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else {
            og_ERR_clear()
            throw GatewayError("the system's random number generator failed; check that /dev/urandom is readable")
        }
        return bytes
    }

    /// Overwrites `bytes` in a way the optimiser keeps.
    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
    }
}

/// AES-256-GCM through OpenSSL's EVP interface.
private enum GCM {
    static func seal(_ plaintext: [UInt8], key: UnsafeRawBufferPointer, nonce: [UInt8],
                     associatedData: [UInt8]) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        precondition(key.count == 32 && nonce.count == SealedKeyFile.nonceLength)
        let context = try CipherContext()
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var tag = [UInt8](repeating: 0, count: SealedKeyFile.tagLength)
        var produced: Int32 = 0
        var finished: Int32 = 0
        var ignored: Int32 = 0
        let sealed = EVP_EncryptInit_ex(context.pointer, EVP_aes_256_gcm(), nil, nil, nil) == 1
            && EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil) == 1
            && EVP_EncryptInit_ex(context.pointer, nil, nil, key.bindMemory(to: UInt8.self).baseAddress, nonce) == 1
            && EVP_EncryptUpdate(context.pointer, nil, &ignored, associatedData, Int32(associatedData.count)) == 1
            && EVP_EncryptUpdate(context.pointer, &ciphertext, &produced, plaintext, Int32(plaintext.count)) == 1
            && ciphertext.withUnsafeMutableBufferPointer {
                EVP_EncryptFinal_ex(context.pointer, $0.baseAddress! + Int(produced), &finished)
            } == 1
            && EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_GET_TAG, Int32(tag.count), &tag) == 1
        guard sealed else { throw failure("AES-256-GCM encryption") }
        ciphertext.removeLast(ciphertext.count - Int(produced + finished))
        return (ciphertext, tag)
    }

    static func open(_ ciphertext: [UInt8], tag: [UInt8], key: UnsafeRawBufferPointer, nonce: [UInt8],
                     associatedData: [UInt8]) throws -> [UInt8]? {
        precondition(key.count == 32 && nonce.count == SealedKeyFile.nonceLength)
        let context = try CipherContext()
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var produced: Int32 = 0
        var finished: Int32 = 0
        var ignored: Int32 = 0
        var expectedTag = tag
        let prepared = EVP_DecryptInit_ex(context.pointer, EVP_aes_256_gcm(), nil, nil, nil) == 1
            && EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil) == 1
            && EVP_DecryptInit_ex(context.pointer, nil, nil, key.bindMemory(to: UInt8.self).baseAddress, nonce) == 1
            && EVP_DecryptUpdate(context.pointer, nil, &ignored, associatedData, Int32(associatedData.count)) == 1
            && EVP_DecryptUpdate(context.pointer, &plaintext, &produced, ciphertext, Int32(ciphertext.count)) == 1
            && EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_TAG, Int32(expectedTag.count), &expectedTag) == 1
        guard prepared else {
            SealedKeyFile.wipe(&plaintext)
            throw failure("AES-256-GCM decryption")
        }
        let authentic = plaintext.withUnsafeMutableBufferPointer {
            EVP_DecryptFinal_ex(context.pointer, $0.baseAddress! + Int(produced), &finished)
        } == 1
        guard authentic else {
            SealedKeyFile.wipe(&plaintext)
            og_ERR_clear()
            return nil
        }
        plaintext.removeLast(plaintext.count - Int(produced + finished))
        return plaintext
    }

    private static func failure(_ operation: String) -> GatewayError {
        let code = ERR_get_error()
        og_ERR_clear()
        var buffer = [CChar](repeating: 0, count: 256)
        if code != 0 { ERR_error_string_n(code, &buffer, buffer.count) }
        let detail = code == 0 ? "no detail from OpenSSL" : String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return GatewayError("OpenSSL \(operation) failed: \(detail)")
    }
}

/// Owns an `EVP_CIPHER_CTX`, which also holds the expanded key: freeing it wipes that.
private final class CipherContext {
    let pointer: OpaquePointer

    init() throws {
        guard let context = EVP_CIPHER_CTX_new() else { throw GatewayError("OpenSSL: out of memory for a cipher context") }
        pointer = context
    }

    deinit { EVP_CIPHER_CTX_free(pointer) }
}
