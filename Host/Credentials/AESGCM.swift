import COpenSSL

/// AES-256-GCM and the random bytes it needs, through OpenSSL's EVP interface.
enum AESGCM {
    static let keyLength = 32
    static let nonceLength = 12
    static let tagLength = 16

    /// `count` bytes from OpenSSL's CSPRNG.
    static func randomBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else {
            throw CredentialsError.crypto(operation: "RAND_bytes", reason: lastOpenSSLError())
        }
        return bytes
    }

    /// Encrypts `plaintext` and authenticates it together with `associatedData`.
    static func seal(_ plaintext: [UInt8], key: Secret, nonce: [UInt8],
                     associatedData: [UInt8]) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        precondition(nonce.count == nonceLength)
        let context = try CipherContext()
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + tagLength)
        var tag = [UInt8](repeating: 0, count: tagLength)
        var produced: Int32 = 0
        var finalCount: Int32 = 0
        let succeeded = key.withUnsafeBytes { keyBytes in
            EVP_EncryptInit_ex(context.pointer, EVP_aes_256_gcm(), nil, nil, nil) == 1
                && EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceLength), nil) == 1
                && EVP_EncryptInit_ex(context.pointer, nil, nil, keyBytes.bindMemory(to: UInt8.self).baseAddress,
                                      nonce) == 1
                && addAssociatedData(associatedData, context: context, encrypting: true)
                && (plaintext.isEmpty
                    || EVP_EncryptUpdate(context.pointer, &ciphertext, &produced, plaintext, Int32(plaintext.count)) == 1)
                && ciphertext.withUnsafeMutableBufferPointer {
                    EVP_EncryptFinal_ex(context.pointer, $0.baseAddress! + Int(produced), &finalCount)
                } == 1
                && EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_GET_TAG, Int32(tagLength), &tag) == 1
        }
        guard succeeded else {
            throw CredentialsError.crypto(operation: "AES-256-GCM encryption", reason: lastOpenSSLError())
        }
        ciphertext.removeLast(ciphertext.count - Int(produced + finalCount))
        return (ciphertext, tag)
    }

    /// Decrypts `ciphertext`; nil when the tag does not match, that is when the
    /// ciphertext, nonce, tag or associated data changed or the key is another.
    static func open(_ ciphertext: [UInt8], tag: [UInt8], key: Secret, nonce: [UInt8],
                     associatedData: [UInt8]) throws -> [UInt8]? {
        precondition(nonce.count == nonceLength && tag.count == tagLength)
        let context = try CipherContext()
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + tagLength)
        var produced: Int32 = 0
        var finalCount: Int32 = 0
        var expectedTag = tag
        let prepared = key.withUnsafeBytes { keyBytes in
            EVP_DecryptInit_ex(context.pointer, EVP_aes_256_gcm(), nil, nil, nil) == 1
                && EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceLength), nil) == 1
                && EVP_DecryptInit_ex(context.pointer, nil, nil, keyBytes.bindMemory(to: UInt8.self).baseAddress,
                                      nonce) == 1
                && addAssociatedData(associatedData, context: context, encrypting: false)
                && (ciphertext.isEmpty
                    || EVP_DecryptUpdate(context.pointer, &plaintext, &produced, ciphertext, Int32(ciphertext.count)) == 1)
                && EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_TAG, Int32(tagLength), &expectedTag) == 1
        }
        guard prepared else {
            wipe(&plaintext)
            throw CredentialsError.crypto(operation: "AES-256-GCM decryption", reason: lastOpenSSLError())
        }
        let authentic = plaintext.withUnsafeMutableBufferPointer {
            EVP_DecryptFinal_ex(context.pointer, $0.baseAddress! + Int(produced), &finalCount)
        } == 1
        guard authentic else {
            wipe(&plaintext)
            og_ERR_clear()
            return nil
        }
        plaintext.removeLast(plaintext.count - Int(produced + finalCount))
        return plaintext
    }

    /// SHA-256 of `bytes`.
    static func sha256(_ bytes: [UInt8]) throws -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard EVP_Digest(bytes, bytes.count, &digest, &length, EVP_sha256(), nil) == 1 else {
            throw CredentialsError.crypto(operation: "SHA-256", reason: lastOpenSSLError())
        }
        return digest
    }

    /// Overwrites `bytes` in place in a way the optimiser keeps.
    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
    }

    private static func addAssociatedData(_ data: [UInt8], context: CipherContext, encrypting: Bool) -> Bool {
        guard !data.isEmpty else { return true }
        var ignored: Int32 = 0
        return encrypting
            ? EVP_EncryptUpdate(context.pointer, nil, &ignored, data, Int32(data.count)) == 1
            : EVP_DecryptUpdate(context.pointer, nil, &ignored, data, Int32(data.count)) == 1
    }

    private static func lastOpenSSLError() -> String {
        let code = ERR_get_error()
        og_ERR_clear()
        guard code != 0 else { return "no detail from OpenSSL" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Owns an `EVP_CIPHER_CTX`, which also holds the expanded key: freeing it wipes that.
private final class CipherContext {
    let pointer: OpaquePointer

    init() throws {
        guard let context = EVP_CIPHER_CTX_new() else {
            throw CredentialsError.crypto(operation: "EVP_CIPHER_CTX_new", reason: "out of memory")
        }
        pointer = context
    }

    deinit { EVP_CIPHER_CTX_free(pointer) }
}
