import COpenSSL

/// Sun's proprietary JKS private-key protection (OID 1.3.6.1.4.1.42.2.17.1.1).
///
/// The PKCS#8 key is XORed with a SHA-1 keystream: block i is
/// SHA-1(password ‖ previous block), starting from a random 20-byte salt.
/// The result is salt ‖ XORed key ‖ SHA-1(password ‖ plain key), wrapped in an
/// EncryptedPrivateKeyInfo. The password is UTF-16BE, as Java's `char[]` bytes.
/// Weak by modern standards; it is what JKS readers expect.
enum JKSKeyProtector {
    static let algorithmOID = "1.3.6.1.4.1.42.2.17.1.1"
    private static let blockSize = 20

    /// Wraps a PKCS#8 PrivateKeyInfo into the EncryptedPrivateKeyInfo DER JKS stores.
    static func protect(pkcs8 plain: [UInt8], password: [UInt8]) throws -> [UInt8] {
        var salt = [UInt8](repeating: 0, count: blockSize)
        guard RAND_bytes(&salt, Int32(blockSize)) == 1 else { throw OpenSSLErrorQueue.failure("drawing a JKS key salt") }
        let masked = zip(plain, keystream(salt: salt, password: password, count: plain.count)).map { $0 ^ $1 }
        let check = Digest.sha1(password, plain)
        return try encodeEncryptedPrivateKeyInfo(salt + masked + check)
    }

    /// The PKCS#8 key inside `protected`, or nil when `password` is not the key's password.
    /// Throws when the bytes are not a JKS-protected key at all.
    static func recover(_ protected: [UInt8], password: [UInt8]) throws -> [UInt8]? {
        let data = try decodeEncryptedPrivateKeyInfo(protected)
        guard data.count > 2 * blockSize else {
            throw MaterialError.unreadable(what: "JKS private key", reason: "its protected data is too short")
        }
        let salt = Array(data[0..<blockSize])
        let masked = Array(data[blockSize..<(data.count - blockSize)])
        let check = Array(data[(data.count - blockSize)...])
        let plain = zip(masked, keystream(salt: salt, password: password, count: masked.count)).map { $0 ^ $1 }
        return Digest.sha1(password, plain) == check ? plain : nil
    }

    private static func keystream(salt: [UInt8], password: [UInt8], count: Int) -> [UInt8] {
        var stream: [UInt8] = []
        stream.reserveCapacity(count + blockSize)
        var block = salt
        while stream.count < count {
            block = Digest.sha1(password, block)
            stream.append(contentsOf: block)
        }
        return Array(stream.prefix(count))
    }

    /// SEQUENCE { AlgorithmIdentifier { OID, NULL }, OCTET STRING } built by OpenSSL's X509_SIG,
    /// which has exactly that shape.
    private static func encodeEncryptedPrivateKeyInfo(_ data: [UInt8]) throws -> [UInt8] {
        guard let signature = X509_SIG_new() else { throw OpenSSLErrorQueue.failure("encoding a JKS private key") }
        defer { X509_SIG_free(signature) }
        var algorithm: UnsafeMutablePointer<X509_ALGOR>?
        var digest: UnsafeMutablePointer<ASN1_OCTET_STRING>?
        X509_SIG_getm(signature, &algorithm, &digest)
        guard let algorithm, let digest, let oid = OBJ_txt2obj(algorithmOID, 1) else {
            throw OpenSSLErrorQueue.failure("encoding a JKS private key")
        }
        guard X509_ALGOR_set0(algorithm, oid, V_ASN1_NULL, nil) == 1 else {
            ASN1_OBJECT_free(oid)
            throw OpenSSLErrorQueue.failure("encoding a JKS private key")
        }
        guard ASN1_OCTET_STRING_set(digest, data, Int32(data.count)) == 1 else {
            throw OpenSSLErrorQueue.failure("encoding a JKS private key")
        }
        return try DEREncoding.encode("JKS private key") { i2d_X509_SIG(signature, $0) }
    }

    private static func decodeEncryptedPrivateKeyInfo(_ der: [UInt8]) throws -> [UInt8] {
        guard let signature = DEREncoding.decode(der, { d2i_X509_SIG(nil, $0, $1) }) else {
            OpenSSLErrorQueue.clear()
            throw MaterialError.unreadable(what: "JKS private key", reason: "not an EncryptedPrivateKeyInfo structure")
        }
        defer { X509_SIG_free(signature) }
        var algorithm: UnsafePointer<X509_ALGOR>?
        var digest: UnsafePointer<ASN1_OCTET_STRING>?
        X509_SIG_get0(signature, &algorithm, &digest)
        var object: OpaquePointer?
        X509_ALGOR_get0(&object, nil, nil, algorithm)
        let oid = ObjectIdentifierText.dotted(object)
        guard oid == algorithmOID, let digest else {
            throw MaterialError.unreadable(what: "JKS private key",
                                           reason: "it is protected with algorithm \(oid), not Sun's JKS key protector")
        }
        return Array(UnsafeBufferPointer(start: ASN1_STRING_get0_data(digest), count: Int(ASN1_STRING_length(digest))))
    }
}
