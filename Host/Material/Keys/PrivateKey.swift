import COpenSSL

/// A private key (RSA, ECDSA, or whatever else OpenSSL imports), owned and freed with this object.
///
/// Passphrases are `[UInt8]` (UTF-8) so callers can wipe them; they are
/// handed to OpenSSL through a callback, never stored here.
public final class PrivateKey: @unchecked Sendable {
    // Safe to share: the EVP_PKEY is never modified after init, and OpenSSL 3
    // allows concurrent read-only use of one key from several threads.
    let pointer: OpaquePointer
    /// This key's unencrypted PKCS#8 DER exactly as OpenSSL's encoder writes it, when the key was read from such
    /// bytes (`init(pkcs8WrittenByOpenSSL:)`): `pkcs8DER()`, `pkcs8PEM()` and PKCS#12 key bags use these instead
    /// of running the encoder again, whose set-up alone costs ~3.6 M instructions per process (OpenSSL 3.0 looks
    /// up every encoder for the key type). Never modified after init; wiped when the key goes.
    private var writtenPKCS8: [UInt8]?

    /// Takes ownership of an EVP_PKEY reference.
    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    deinit {
        if writtenPKCS8 != nil { SecureMemory.wipe(&writtenPKCS8!) }
        EVP_PKEY_free(pointer)
    }

    /// Reads an unencrypted PKCS#8 PrivateKeyInfo that `pkcs8DER()` wrote (in this process or another: a job's
    /// key comes to its process that way, `JobInput`) and keeps those bytes as the key's PKCS#8 encoding, so
    /// writing the key again gives the same bytes without OpenSSL's encoder. Bytes from anywhere else (an
    /// operator's file, a keystore) go through `init(der:)`: their encoding may differ from OpenSSL's.
    public convenience init(pkcs8WrittenByOpenSSL der: [UInt8], what: String = "private key") throws {
        OpenSSLErrorQueue.clear()
        // The whole input must be the one structure: these bytes are what gets written again.
        let parsed: (info: OpaquePointer?, used: Int) = der.isEmpty ? (nil, 0) : der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let info = d2i_PKCS8_PRIV_KEY_INFO(nil, &cursor, buffer.count)
            return (info, cursor.map { $0 - buffer.baseAddress! } ?? 0)
        }
        guard !der.isEmpty, let info = parsed.info else {
            OpenSSLErrorQueue.clear()
            throw MaterialError.unreadable(what: what, reason: "expected an unencrypted DER PKCS#8 private key")
        }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        guard parsed.used == der.count else {
            throw MaterialError.unreadable(what: what, reason: "\(der.count - parsed.used) bytes follow its PKCS#8 structure")
        }
        guard let key = og_PKCS8_to_pkey(info) else {
            throw MaterialError.unreadable(what: what, reason: "the PKCS#8 structure holds no usable key ("
                                               + OpenSSLErrorQueue.drain().joined(separator: "; ") + ")")
        }
        self.init(taking: key)
        writtenPKCS8 = der
    }

    /// Whether `der` is exactly one unencrypted PKCS#8 PrivateKeyInfo (its structure only: the key
    /// inside is not decoded, which OpenSSL 3.0 does through its decoders at some 2 M instructions).
    public static func isPlainPKCS8(_ der: [UInt8]) -> Bool {
        guard !der.isEmpty else { return false }
        return der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            guard let info = d2i_PKCS8_PRIV_KEY_INFO(nil, &cursor, buffer.count) else {
                OpenSSLErrorQueue.clear()
                return false
            }
            defer { PKCS8_PRIV_KEY_INFO_free(info) }
            var algorithm: OpaquePointer?
            return cursor.map { $0 - buffer.baseAddress! } == buffer.count
                && PKCS8_pkey_get0(&algorithm, nil, nil, nil, info) == 1 && algorithm != nil
        }
    }

    /// Generates a fresh key.
    public static func generate(_ spec: KeySpec) throws -> PrivateKey {
        OpenSSLErrorQueue.clear()
        let algorithm: String
        switch spec {
        case .rsa(let bits):
            guard KeySpec.supportedRSABits.contains(bits) else {
                throw MaterialError.invalidField(field: "key type", value: spec.description,
                                                 problem: "is not a supported RSA size; use 2048, 3072 or 4096 bits")
            }
            algorithm = "RSA"
        case .ecdsa:
            algorithm = "EC"
        }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, algorithm, nil) else {
            throw OpenSSLErrorQueue.failure("generating a \(spec) key")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else { throw OpenSSLErrorQueue.failure("generating a \(spec) key") }
        switch spec {
        case .rsa(let bits):
            guard EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(bits)) == 1 else {
                throw OpenSSLErrorQueue.failure("generating a \(spec) key")
            }
        case .ecdsa(let curve):
            guard EVP_PKEY_CTX_set_group_name(context, curve.groupName) == 1 else {
                throw OpenSSLErrorQueue.failure("generating a \(spec) key")
            }
        }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(context, &key) == 1, let key else {
            throw OpenSSLErrorQueue.failure("generating a \(spec) key")
        }
        return PrivateKey(taking: key)
    }

    /// Reads a PEM private key: PKCS#8 ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"),
    /// PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC PRIVATE KEY"), encrypted or not.
    /// Other PEM blocks around it (certificates) are skipped.
    /// `what` names the input in error messages.
    public convenience init(pem: String, passphrase: [UInt8]? = nil, what: String = "private key") throws {
        try self.init(pemBytes: Array(pem.utf8), passphrase: passphrase, what: what)
    }

    /// Like `init(pem:)`, from the bytes of a PEM file. The first private-key block is read.
    public init(pemBytes: [UInt8], passphrase: [UInt8]? = nil, what: String = "private key") throws {
        let expected = "expected a PEM block 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY' or 'EC PRIVATE KEY'"
        guard let block = try PEMBlock.split(String(decoding: pemBytes, as: UTF8.self), what: what).first(where: \.isPrivateKey) else {
            throw MaterialError.unreadable(what: what, reason: expected)
        }
        OpenSSLErrorQueue.clear()
        // Unencrypted PKCS#8, what most key files hold, is decoded for its own algorithm only (see og_PKCS8_to_pkey).
        if block.label == "PRIVATE KEY" {
            let plain = try MemoryBIO(Array(block.text.utf8), secure: true)
            if let key = withExtendedLifetime(plain, { og_PEM_read_plain_PKCS8(plain.pointer) }) {
                pointer = key
                return
            }
        }
        let input = try MemoryBIO(Array(block.text.utf8), secure: true)
        let supply = PassphraseSupply(passphrase)
        let key = supply.withCallback { callback, context in
            PEM_read_bio_PrivateKey(input.pointer, nil, callback, context)
        }
        guard let key else { throw PrivateKey.importFailure(what: what, supply: supply, expected: expected) }
        pointer = key
    }

    /// Reads a DER private key: PKCS#8 (plain or encrypted), PKCS#1 or SEC1.
    public init(der: [UInt8], passphrase: [UInt8]? = nil, what: String = "private key") throws {
        OpenSSLErrorQueue.clear()
        if let encrypted = DEREncoding.decode(der, { d2i_X509_SIG(nil, $0, $1) }) {
            defer { X509_SIG_free(encrypted) }
            guard let passphrase else { throw MaterialError.passphraseRequired(what: what) }
            let info = passphrase.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { PKCS8_decrypt(encrypted, $0.baseAddress, Int32($0.count)) }
            }
            guard let info else {
                OpenSSLErrorQueue.clear()
                throw MaterialError.wrongPassphrase(what: what)
            }
            defer { PKCS8_PRIV_KEY_INFO_free(info) }
            guard let key = og_PKCS8_to_pkey(info) else {
                throw MaterialError.unreadable(what: what, reason: "the decrypted PKCS#8 structure holds no usable key ("
                                                   + OpenSSLErrorQueue.drain().joined(separator: "; ") + ")")
            }
            pointer = key
            return
        }
        OpenSSLErrorQueue.clear()
        // Plain PKCS#8 (what keystores hold) names its algorithm, which spares OpenSSL
        // from trying every decoder as d2i_AutoPrivateKey does; that is several times faster.
        if let info = DEREncoding.decode(der, { d2i_PKCS8_PRIV_KEY_INFO(nil, $0, $1) }) {
            defer { PKCS8_PRIV_KEY_INFO_free(info) }
            if let key = og_PKCS8_to_pkey(info) {
                pointer = key
                return
            }
        }
        OpenSSLErrorQueue.clear()
        guard let key = DEREncoding.decode(der, { d2i_AutoPrivateKey(nil, $0, $1) }) else {
            let detail = OpenSSLErrorQueue.drain().joined(separator: "; ")
            throw MaterialError.unreadable(what: what, reason: "expected DER PKCS#8, PKCS#1 or SEC1 private key"
                                               + (detail.isEmpty ? "" : " (\(detail))"))
        }
        pointer = key
    }

    private static func importFailure(what: String, supply: PassphraseSupply, expected: String) -> MaterialError {
        let messages = OpenSSLErrorQueue.drain()
        // OpenSSL asks for a passphrase only once it has recognised encrypted
        // key material, so a failure after asking is the passphrase's fault.
        if supply.wasAsked {
            return supply.passphrase == nil ? .passphraseRequired(what: what) : .wrongPassphrase(what: what)
        }
        let detail = messages.isEmpty ? "" : " (\(messages.joined(separator: "; ")))"
        return .unreadable(what: what, reason: expected + detail)
    }

    /// Unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----").
    public func pkcs8PEM() throws -> String {
        OpenSSLErrorQueue.clear()
        let output = try MemoryBIO(secure: true)
        if let writtenPKCS8 {
            // What PEM_write_bio_PKCS8PrivateKey writes: the same DER under the same label, same line length.
            let written = writtenPKCS8.withUnsafeBufferPointer { PEM_write_bio(output.pointer, "PRIVATE KEY", "", $0.baseAddress, $0.count) }
            guard written > 0 else { throw OpenSSLErrorQueue.failure("writing the private key as PEM") }
            return output.text
        }
        guard PEM_write_bio_PKCS8PrivateKey(output.pointer, pointer, nil, nil, 0, nil, nil) == 1 else {
            throw OpenSSLErrorQueue.failure("writing the private key as PEM")
        }
        return output.text
    }

    /// PKCS#8 PEM encrypted with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC)
    /// ("-----BEGIN ENCRYPTED PRIVATE KEY-----").
    public func pkcs8PEM(encryptedWith passphrase: [UInt8]) throws -> String {
        guard !passphrase.isEmpty else {
            throw MaterialError.invalidField(field: "key passphrase", value: "", problem: "is empty; choose a non-empty passphrase")
        }
        OpenSSLErrorQueue.clear()
        let output = try MemoryBIO(secure: true)
        let written = passphrase.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                PEM_write_bio_PKCS8PrivateKey(output.pointer, pointer, EVP_aes_256_cbc(), chars.baseAddress,
                                              Int32(chars.count), nil, nil)
            }
        }
        guard written == 1 else { throw OpenSSLErrorQueue.failure("encrypting the private key") }
        return output.text
    }

    /// Unencrypted PKCS#8 DER (PrivateKeyInfo).
    public func pkcs8DER() throws -> [UInt8] {
        if let writtenPKCS8 { return writtenPKCS8 }
        OpenSSLErrorQueue.clear()
        let output = try MemoryBIO(secure: true)
        guard i2d_PKCS8PrivateKey_bio(output.pointer, pointer, nil, nil, 0, nil, nil) == 1 else {
            throw OpenSSLErrorQueue.failure("writing the private key as DER")
        }
        return output.bytes
    }

    /// The key as an OpenSSL PKCS8_PRIV_KEY_INFO, which the caller frees: parsed from the kept PKCS#8 bytes
    /// when there are some (an ASN.1 parse, no encoder), else made by `EVP_PKEY2PKCS8`.
    func pkcs8Info() throws -> OpaquePointer {
        OpenSSLErrorQueue.clear()
        if let writtenPKCS8, let info = DEREncoding.decode(writtenPKCS8, { d2i_PKCS8_PRIV_KEY_INFO(nil, $0, $1) }) {
            return info
        }
        guard let info = EVP_PKEY2PKCS8(pointer) else { throw OpenSSLErrorQueue.failure("writing the private key as PKCS#8") }
        return info
    }

    /// The public half as DER SubjectPublicKeyInfo.
    public var publicKeyDER: [UInt8] {
        // Encoding the public half of a key OpenSSL already holds cannot fail short of memory exhaustion.
        (try? DEREncoding.encode("public key") { i2d_PUBKEY(pointer, $0) }) ?? []
    }

    /// "RSA-2048", "EC-P256", "EC-P384", ...
    public var algorithmDescription: String { KeyDescription.describe(pointer) }

    /// The spec this key matches, or nil for keys og-host would not generate (RSA-1024, Ed25519, ...).
    public var spec: KeySpec? { KeyDescription.spec(pointer) }

    /// True when both objects hold the same key.
    public func isSameKey(as other: PrivateKey) -> Bool { EVP_PKEY_eq(pointer, other.pointer) == 1 }
}
