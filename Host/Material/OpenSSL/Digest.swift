import COpenSSL

/// One-shot message digests through OpenSSL's EVP interface: the gateway's
/// one SHA-256 (credential stores, vault key IDs and SSH host-key fingerprints
/// use it too).
public enum Digest {
    public static func sha1(_ parts: [UInt8]...) -> [UInt8] { hash(EVP_sha1(), parts) }
    public static func sha256(_ parts: [UInt8]...) -> [UInt8] { hash(EVP_sha256(), parts) }
    /// SHA-256 of raw memory (a buffer that must not be copied into an array).
    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let context = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(context) }
        precondition(EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1, "message digest unavailable")
        _ = EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &output, &length) == 1, "message digest failed")
        return Array(output[0..<Int(length)])
    }

    private static func hash(_ algorithm: OpaquePointer?, _ parts: [[UInt8]]) -> [UInt8] {
        let context = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(context) }
        // Digest initialisation only fails on allocation failure, which Swift would not survive either.
        precondition(EVP_DigestInit_ex(context, algorithm, nil) == 1, "message digest unavailable")
        for part in parts {
            part.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        }
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &output, &length) == 1, "message digest failed")
        return Array(output[0..<Int(length)])
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hexadecimal, two digits per byte, no separators.
    var lowercaseHex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(count * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
