import COpenSSL

/// The one AES-256-GCM sealing API of the gateway: credential stores
/// (OGCredentials) and private key files (`<data>/keys`, OGHost) both seal
/// through it, so there is one implementation to review and one place that
/// touches OpenSSL's cipher interface.
public enum AES256GCM {
    public static let keyLength = 32
    public static let nonceLength = 12
    public static let tagLength = 16

    /// Encrypts `plaintext` under `key` (32 bytes) and `nonce` (12 bytes, never
    /// reused with the same key) and authenticates it together with `associatedData`.
    public static func seal(_ plaintext: [UInt8], key: UnsafeRawBufferPointer, nonce: [UInt8],
                            associatedData: [UInt8]) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        precondition(key.count == keyLength && nonce.count == nonceLength)
        OpenSSLErrorQueue.clear()
        let context = try CipherContext()
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + tagLength)
        var tag = [UInt8](repeating: 0, count: tagLength)
        var produced: Int32 = 0
        var finished: Int32 = 0
        let sealed = EVP_EncryptInit_ex(context.pointer, EVP_aes_256_gcm(), nil, nil, nil) == 1
            && EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceLength), nil) == 1
            && EVP_EncryptInit_ex(context.pointer, nil, nil, key.bindMemory(to: UInt8.self).baseAddress, nonce) == 1
            && addAssociatedData(associatedData, context: context, encrypting: true)
            && (plaintext.isEmpty
                || EVP_EncryptUpdate(context.pointer, &ciphertext, &produced, plaintext, Int32(plaintext.count)) == 1)
            && ciphertext.withUnsafeMutableBufferPointer {
                EVP_EncryptFinal_ex(context.pointer, $0.baseAddress! + Int(produced), &finished)
            } == 1
            && EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_GET_TAG, Int32(tagLength), &tag) == 1
        guard sealed else { throw OpenSSLErrorQueue.failure("AES-256-GCM encryption") }
        ciphertext.removeLast(ciphertext.count - Int(produced + finished))
        return (ciphertext, tag)
    }

    /// Decrypts `ciphertext`; nil when the tag does not match, that is when the
    /// ciphertext, nonce, tag or associated data changed or the key is another.
    /// The caller wipes the plaintext (`SecureMemory.wipe`) when done.
    public static func open(_ ciphertext: [UInt8], tag: [UInt8], key: UnsafeRawBufferPointer, nonce: [UInt8],
                            associatedData: [UInt8]) throws -> [UInt8]? {
        precondition(key.count == keyLength && nonce.count == nonceLength && tag.count == tagLength)
        OpenSSLErrorQueue.clear()
        let context = try CipherContext()
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + tagLength)
        var produced: Int32 = 0
        var finished: Int32 = 0
        var expectedTag = tag
        let prepared = EVP_DecryptInit_ex(context.pointer, EVP_aes_256_gcm(), nil, nil, nil) == 1
            && EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceLength), nil) == 1
            && EVP_DecryptInit_ex(context.pointer, nil, nil, key.bindMemory(to: UInt8.self).baseAddress, nonce) == 1
            && addAssociatedData(associatedData, context: context, encrypting: false)
            && (ciphertext.isEmpty
                || EVP_DecryptUpdate(context.pointer, &plaintext, &produced, ciphertext, Int32(ciphertext.count)) == 1)
            && EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_TAG, Int32(tagLength), &expectedTag) == 1
        guard prepared else {
            SecureMemory.wipe(&plaintext)
            throw OpenSSLErrorQueue.failure("AES-256-GCM decryption")
        }
        let authentic = plaintext.withUnsafeMutableBufferPointer {
            EVP_DecryptFinal_ex(context.pointer, $0.baseAddress! + Int(produced), &finished)
        } == 1
        guard authentic else {
            SecureMemory.wipe(&plaintext)
            OpenSSLErrorQueue.clear()
            return nil
        }
        plaintext.removeLast(plaintext.count - Int(produced + finished))
        return plaintext
    }

    private static func addAssociatedData(_ data: [UInt8], context: CipherContext, encrypting: Bool) -> Bool {
        guard !data.isEmpty else { return true }
        var ignored: Int32 = 0
        return encrypting
            ? EVP_EncryptUpdate(context.pointer, nil, &ignored, data, Int32(data.count)) == 1
            : EVP_DecryptUpdate(context.pointer, nil, &ignored, data, Int32(data.count)) == 1
    }
}

/// Random bytes from OpenSSL's CSPRNG (seeded from the kernel).
public enum SecureRandom {
    public static func bytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        OpenSSLErrorQueue.clear()
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { throw OpenSSLErrorQueue.failure("RAND_bytes") }
        return bytes
    }
}

/// Overwriting secrets in memory in a way the optimiser keeps.
public enum SecureMemory {
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { wipe($0) }
    }

    // OPENSSL_cleanse is written so the compiler cannot drop it as a dead store.
    public static func wipe(_ bytes: UnsafeMutableRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        OPENSSL_cleanse(base, bytes.count)
    }

    /// Equality in time that depends only on the lengths (for secrets).
    public static func constantTimeEqual(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Bool {
        guard left.count == right.count else { return false }
        return left.count == 0 || CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
    }
}

/// Owns an `EVP_CIPHER_CTX`, which also holds the expanded key: freeing it wipes that.
private final class CipherContext {
    let pointer: OpaquePointer

    init() throws {
        guard let context = EVP_CIPHER_CTX_new() else { throw OpenSSLErrorQueue.failure("EVP_CIPHER_CTX_new") }
        pointer = context
    }

    deinit { EVP_CIPHER_CTX_free(pointer) }
}
