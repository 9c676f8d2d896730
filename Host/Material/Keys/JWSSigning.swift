import COpenSSL

/// The signing primitives ACME (RFC 8555) needs from a private key: its public
/// half as a JSON Web Key (RFC 7517/7518), the JWK thumbprint (RFC 7638), and
/// JWS signatures (RFC 7515) in the encodings JOSE uses: ES256/ES384 as the
/// fixed-width r‖s pair (not DER), RS256 as PKCS#1 v1.5.
extension PrivateKey {
    /// The JWS `alg` this key signs with: ES256 (P-256), ES384 (P-384), RS256 (RSA).
    public var jwsAlgorithm: String {
        get throws {
            switch spec {
            case .ecdsa(.p256)?: return "ES256"
            case .ecdsa(.p384)?: return "ES384"
            case .rsa?: return "RS256"
            case nil:
                throw MaterialError.invalidField(field: "account key", value: algorithmDescription,
                                                 problem: "cannot sign JWS; use an ec-p256, ec-p384 or RSA key")
            }
        }
    }

    /// The public JWK's members in the lexicographic order RFC 7638 requires
    /// for thumbprints, which is also a valid order for the `jwk` header.
    public func publicJWKMembers() throws -> [(name: String, value: String)] {
        switch spec {
        case .ecdsa(let curve)?:
            let size = curve == .p256 ? 32 : 48
            // SubjectPublicKeyInfo for a named curve ends with the uncompressed point 04‖X‖Y.
            let spki = publicKeyDER
            guard spki.count > 2 * size + 1, spki[spki.count - 2 * size - 1] == 0x04 else {
                throw MaterialError.unreadable(what: "EC public key", reason: "no uncompressed point at the end of its SubjectPublicKeyInfo")
            }
            let point = Array(spki.suffix(2 * size))
            return [("crv", curve.rawValue), ("kty", "EC"),
                    ("x", Base64URL.encode(Array(point.prefix(size)))), ("y", Base64URL.encode(Array(point.suffix(size))))]
        case .rsa?:
            return [("e", Base64URL.encode(try bigNumberParameter(OSSL_PKEY_PARAM_RSA_E))), ("kty", "RSA"),
                    ("n", Base64URL.encode(try bigNumberParameter(OSSL_PKEY_PARAM_RSA_N)))]
        case nil:
            _ = try jwsAlgorithm
            return []
        }
    }

    /// The public JWK as compact JSON, members in thumbprint order.
    public func publicJWKJSON() throws -> String {
        "{" + (try publicJWKMembers()).map { "\"\($0.name)\":\"\($0.value)\"" }.joined(separator: ",") + "}"
    }

    /// RFC 7638 thumbprint (SHA-256), base64url: what ACME key authorizations end with.
    public func jwkThumbprint() throws -> String {
        Base64URL.encode(Digest.sha256(Array(try publicJWKJSON().utf8)))
    }

    /// Signs `input` (the JWS signing input `protected.payload`) with this key's `jwsAlgorithm`.
    public func signJWS(_ input: [UInt8]) throws -> [UInt8] {
        let algorithm = try jwsAlgorithm
        OpenSSLErrorQueue.clear()
        guard let context = EVP_MD_CTX_new() else { throw OpenSSLErrorQueue.failure("JWS signing") }
        defer { EVP_MD_CTX_free(context) }
        let digest = algorithm == "ES384" ? EVP_sha384() : EVP_sha256()
        guard EVP_DigestSignInit(context, nil, digest, nil, pointer) == 1 else {
            throw OpenSSLErrorQueue.failure("JWS signing (\(algorithm))")
        }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, input, input.count) == 1 else {
            throw OpenSSLErrorQueue.failure("JWS signing (\(algorithm))")
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, input, input.count) == 1 else {
            throw OpenSSLErrorQueue.failure("JWS signing (\(algorithm))")
        }
        signature.removeLast(signature.count - length)
        guard algorithm.hasPrefix("ES") else { return signature }
        return try Self.rawECDSASignature(der: signature, size: algorithm == "ES256" ? 32 : 48)
    }

    /// ECDSA-Sig-Value (DER SEQUENCE of two INTEGERs) to JOSE's r‖s, each left-padded to `size`.
    private static func rawECDSASignature(der: [UInt8], size: Int) throws -> [UInt8] {
        guard let signature = DEREncoding.decode(der, { d2i_ECDSA_SIG(nil, $0, $1) }) else {
            throw OpenSSLErrorQueue.failure("reading the ECDSA signature")
        }
        defer { ECDSA_SIG_free(signature) }
        var r: OpaquePointer?
        var s: OpaquePointer?
        ECDSA_SIG_get0(signature, &r, &s)
        var raw = [UInt8](repeating: 0, count: 2 * size)
        guard let r, let s,
              raw.withUnsafeMutableBufferPointer({ BN_bn2binpad(r, $0.baseAddress, Int32(size)) }) == size,
              raw.withUnsafeMutableBufferPointer({ BN_bn2binpad(s, $0.baseAddress! + size, Int32(size)) }) == size else {
            throw OpenSSLErrorQueue.failure("encoding the ECDSA signature")
        }
        return raw
    }

    private func bigNumberParameter(_ name: String) throws -> [UInt8] {
        var number: OpaquePointer?
        guard EVP_PKEY_get_bn_param(pointer, name, &number) == 1, let number else {
            throw OpenSSLErrorQueue.failure("reading RSA parameter \(name)")
        }
        defer { BN_free(number) }
        var bytes = [UInt8](repeating: 0, count: Int((BN_num_bits(number) + 7) / 8))
        _ = BN_bn2bin(number, &bytes)
        return bytes
    }
}

/// Keyed hashes and digests for protocols the host speaks (ACME EAB, TSIG, key authorizations).
public enum MessageAuthentication {
    /// HMAC with SHA-256 (JWS HS256, TSIG hmac-sha256), SHA-384 or SHA-512, named as OpenSSL names digests.
    public static func hmac(_ digest: String = "SHA256", key: [UInt8], data: [UInt8]) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 64)
        var length = 0
        let produced = key.withUnsafeBytes { keyBytes in
            EVP_Q_mac(nil, "HMAC", nil, digest, nil, keyBytes.baseAddress, keyBytes.count, data, data.count,
                      &output, output.count, &length)
        }
        guard produced != nil else { throw OpenSSLErrorQueue.failure("HMAC-\(digest)") }
        return Array(output.prefix(length))
    }

    public static func sha256(_ data: [UInt8]) -> [UInt8] { Digest.sha256(data) }
}

/// Base64 with the URL-safe alphabet and no padding (RFC 4648 §5), as JOSE and ACME use it.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int(value >> UInt32(shift) & 0x3f)]) }
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let value = UInt32(bytes[index]) << 16
            out.append(alphabet[Int(value >> 18 & 0x3f)]); out.append(alphabet[Int(value >> 12 & 0x3f)])
        } else if rest == 2 {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out.append(alphabet[Int(value >> 18 & 0x3f)]); out.append(alphabet[Int(value >> 12 & 0x3f)])
            out.append(alphabet[Int(value >> 6 & 0x3f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func encode(_ text: String) -> String { encode(Array(text.utf8)) }

    /// Decodes unpadded base64url (padding and standard-alphabet characters also accepted); nil when malformed.
    public static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(byte - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(byte - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "-"), UInt8(ascii: "+"): values.append(62)
            case UInt8(ascii: "_"), UInt8(ascii: "/"): values.append(63)
            case UInt8(ascii: "="): continue
            default: return nil
            }
        }
        if values.count % 4 == 1 { return nil }
        var out: [UInt8] = []
        var index = 0
        while index < values.count {
            let chunk = values[index..<min(index + 4, values.count)]
            var value: UInt32 = 0
            for (offset, v) in chunk.enumerated() { value |= UInt32(v) << UInt32(18 - 6 * offset) }
            let produced = chunk.count - 1
            for offset in 0..<produced { out.append(UInt8(value >> UInt32(16 - 8 * offset) & 0xff)) }
            index += 4
        }
        return out
    }
}
