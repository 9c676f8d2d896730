import COpenSSL
import OGMaterial

/// The primitives NTLM is built on. MD4 and RC4 live in OpenSSL 3's `legacy`
/// provider; it is loaded into a private library context used only here, so
/// the rest of the process keeps OpenSSL's default (modern) algorithm set.
enum NTLMCrypto {
    static func md4(_ data: [UInt8]) throws -> [UInt8] {
        guard let context = LegacyLibraryContext.shared.context,
              let md4 = EVP_MD_fetch(context, "MD4", nil) else {
            throw NTLMError.legacyProviderMissing
        }
        defer { EVP_MD_free(md4) }
        return try digest(data, md4)
    }

    static func md5(_ data: [UInt8]) throws -> [UInt8] {
        try digest(data, EVP_md5())
    }

    static func hmacMD5(key: [UInt8], _ data: [UInt8]) throws -> [UInt8] {
        // HMAC written out over MD5 (RFC 2104) because OpenSSL 3 deprecates the one-call HMAC().
        let blockSize = 64
        var block = key.count > blockSize ? try md5(key) : key
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        let inner = try md5(block.map { $0 ^ 0x36 } + data)
        return try md5(block.map { $0 ^ 0x5c } + inner)
    }

    static func randomBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { throw NTLMError.crypto("drawing random bytes failed") }
        return bytes
    }

    private static func digest(_ data: [UInt8], _ type: OpaquePointer?) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_Digest(data, data.count, &output, &length, type, nil) == 1 else {
            ERR_clear_error()
            throw NTLMError.crypto("message digest failed")
        }
        return Array(output.prefix(Int(length)))
    }
}

/// An RC4 key stream. NTLM sealing keeps one per direction for the whole
/// session: each message continues the stream where the previous one ended.
final class RC4Stream {
    private let context: OpaquePointer

    init(key: [UInt8]) throws {
        guard let libraryContext = LegacyLibraryContext.shared.context,
              let cipher = EVP_CIPHER_fetch(libraryContext, "RC4", nil) else {
            throw NTLMError.legacyProviderMissing
        }
        defer { EVP_CIPHER_free(cipher) }
        guard let context = EVP_CIPHER_CTX_new() else { throw NTLMError.crypto("allocating an RC4 context failed") }
        self.context = context
        guard EVP_EncryptInit_ex2(context, cipher, nil, nil, nil) == 1,
              EVP_CIPHER_CTX_set_key_length(context, Int32(key.count)) == 1,
              EVP_EncryptInit_ex2(context, nil, key, nil, nil) == 1 else {
            ERR_clear_error()
            throw NTLMError.crypto("setting up RC4 failed")
        }
    }

    func apply(_ data: [UInt8]) throws -> [UInt8] {
        guard !data.isEmpty else { return [] }
        var output = [UInt8](repeating: 0, count: data.count)
        var length: Int32 = 0
        guard EVP_EncryptUpdate(context, &output, &length, data, Int32(data.count)) == 1 else {
            ERR_clear_error()
            throw NTLMError.crypto("RC4 failed")
        }
        return output
    }

    deinit { EVP_CIPHER_CTX_free(context) }
}

enum NTLMError: Error, CustomStringConvertible {
    case legacyProviderMissing
    case crypto(String)
    case malformedChallenge(String)
    case badSignature

    var description: String {
        switch self {
        case .legacyProviderMissing:
            return "NTLM needs MD4 and RC4 from OpenSSL's legacy provider, which is not installed "
                + "(Debian package libssl3 ships it as ossl-modules/legacy.so); install it or use winrm_https with Basic"
        case .crypto(let what): return "NTLM: \(what)"
        case .malformedChallenge(let why): return "the server's NTLM challenge is malformed: \(why)"
        case .badSignature: return "a sealed WinRM message from the server failed its NTLM signature check; "
            + "the connection may have been tampered with"
        }
    }
}
