import COpenSSL

/// Human names for public-key algorithms, shared by keys, certificates and CSRs.
enum KeyDescription {
    /// "RSA-2048", "EC-P256", "EC-P384", or OpenSSL's type name for anything else.
    static func describe(_ key: OpaquePointer) -> String {
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_RSA, EVP_PKEY_RSA_PSS:
            return "RSA-\(EVP_PKEY_get_bits(key))"
        case EVP_PKEY_EC:
            let group = curveName(key) ?? "unknown"
            switch group {
            case "prime256v1", "P-256": return "EC-P256"
            case "secp384r1", "P-384": return "EC-P384"
            case "secp521r1", "P-521": return "EC-P521"
            default: return "EC-\(group)"
            }
        default:
            let name = EVP_PKEY_get0_type_name(key).map { String(cString: $0) } ?? "unknown"
            return "\(name)-\(EVP_PKEY_get_bits(key))"
        }
    }

    /// The spec a key would have been generated from, if it is one og-host generates.
    static func spec(_ key: OpaquePointer) -> KeySpec? {
        switch describe(key) {
        case "EC-P256": return .ecdsa(curve: .p256)
        case "EC-P384": return .ecdsa(curve: .p384)
        case let text where text.hasPrefix("RSA-") && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA:
            guard let bits = Int(text.dropFirst(4)), KeySpec.supportedRSABits.contains(bits) else { return nil }
            return .rsa(bits: bits)
        default: return nil
        }
    }

    /// The digest to sign with: SHA-256, except for algorithms that hash internally (Ed25519, Ed448).
    static func signingDigest(for key: OpaquePointer) -> OpaquePointer? {
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_ED25519, EVP_PKEY_ED448: return nil
        default: return EVP_sha256()
        }
    }

    private static func curveName(_ key: OpaquePointer) -> String? {
        var buffer = [CChar](repeating: 0, count: 80)
        var length = 0
        guard EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, &buffer, buffer.count, &length) == 1 else {
            OpenSSLErrorQueue.clear()
            return nil
        }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
