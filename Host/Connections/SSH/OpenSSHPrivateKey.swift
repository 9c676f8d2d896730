import COpenSSL
import Foundation

/// Reads an RSA key in OpenSSH's own format (`-----BEGIN OPENSSH PRIVATE KEY-----`,
/// ssh-keygen's default since 7.8), encrypted or not, and re-expresses it as
/// PKCS#1 PEM in memory, so `PEMPrivateKey` can sign with `rsa-sha2-256`.
/// libssh2 1.10 reads this format itself but signs RSA only with SHA-1
/// (`ssh-rsa`), which OpenSSH refuses by default since 8.8.
///
/// Encrypted keys: bcrypt-pbkdf (`BcryptPBKDF`) derives the key and IV of
/// aes128/192/256-ctr or -cbc (OpenSSL). Keys under other ciphers
/// (aes256-gcm@openssh.com, chacha20-poly1305@openssh.com), which libssh2 1.10
/// cannot decrypt either, are refused with the ssh-keygen command that re-encrypts them.
enum OpenSSHPrivateKey {
    enum Conversion {
        /// `-----BEGIN RSA PRIVATE KEY-----` text (wipe it after use).
        case pkcs1PEM([UInt8])
        /// The passphrase does not decrypt the key (its check words differ).
        case wrongPassphrase
        /// Encrypted with a cipher this reader does not decrypt (its name).
        case unsupportedCipher(String)
        /// Not an OpenSSH-format RSA key this reader handles.
        case notHandled
    }

    /// The key as `-----BEGIN RSA PRIVATE KEY-----` text, or nil when `bytes`
    /// is not an unencrypted OpenSSH-format RSA key.
    static func rsaAsPKCS1PEM(_ bytes: [UInt8]) -> [UInt8]? {
        if case .pkcs1PEM(let pem) = convert(bytes, passphrase: nil) { return pem }
        return nil
    }

    /// An OpenSSH-format RSA key, decrypted with `passphrase` when it is encrypted, as PKCS#1 PEM.
    static func convert(_ bytes: [UInt8], passphrase: String?) -> Conversion {
        guard var blob = decodedBlob(bytes) else { return .notHandled }
        defer { for index in blob.indices { blob[index] = 0 } }
        var reader = SSHWireReader(blob)
        let magic = Array("openssh-key-v1".utf8) + [0]
        guard reader.take(magic.count) == magic,
              let cipherName = reader.string(), let kdfName = reader.string(), let kdfOptions = reader.string(),
              let count = reader.uint32(), count == 1,
              let publicKey = reader.string(),
              var section = reader.string() else { return .notHandled }
        var publicReader = SSHWireReader(publicKey)
        guard let publicType = publicReader.string(), String(decoding: publicType, as: UTF8.self) == "ssh-rsa" else {
            return .notHandled
        }
        defer { for index in section.indices { section[index] = 0 } }
        let cipher = String(decoding: cipherName, as: UTF8.self)
        if cipher != "none" {
            guard String(decoding: kdfName, as: UTF8.self) == "bcrypt", let passphrase, !passphrase.isEmpty else {
                return .notHandled
            }
            guard ciphers[cipher] != nil else { return .unsupportedCipher(cipher) }
            guard let decrypted = decrypt(section, cipher: cipher, kdfOptions: kdfOptions, passphrase: passphrase) else {
                return .notHandled
            }
            for index in section.indices { section[index] = 0 }
            section = decrypted
        }
        var inner = SSHWireReader(section)
        guard let check1 = inner.uint32(), let check2 = inner.uint32() else { return .notHandled }
        // The check words are equal only when the passphrase was right.
        guard check1 == check2 else { return cipher == "none" ? .notHandled : .wrongPassphrase }
        guard let type = inner.string(), String(decoding: type, as: UTF8.self) == "ssh-rsa",
              let n = inner.string(), let e = inner.string(), let d = inner.string(),
              let iqmp = inner.string(), let p = inner.string(), let q = inner.string(),
              let dmp1 = modulo(d, minusOne: p), let dmq1 = modulo(d, minusOne: q) else { return .notHandled }
        // RSAPrivateKey ::= SEQUENCE { version 0, n, e, d, p, q, d mod (p-1), d mod (q-1), q^-1 mod p }
        var body: [UInt8] = derInteger([])
        for value in [n, e, d, p, q, dmp1, dmq1, iqmp] { body += derInteger(value) }
        var der = [0x30] + derLength(body.count) + body
        defer {
            for index in body.indices { body[index] = 0 }
            for index in der.indices { der[index] = 0 }
        }
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return .pkcs1PEM(Array("-----BEGIN RSA PRIVATE KEY-----\n\(base64)\n-----END RSA PRIVATE KEY-----\n".utf8))
    }

    /// The private section decrypted with the key and IV bcrypt-pbkdf derives from the passphrase.
    /// The ciphers ssh-keygen offers that decrypt with a plain OpenSSL cipher: key length and cipher.
    private static let ciphers: [String: (keyLength: Int, make: @Sendable () -> OpaquePointer?)] = [
        "aes128-ctr": (16, { EVP_aes_128_ctr() }), "aes192-ctr": (24, { EVP_aes_192_ctr() }),
        "aes256-ctr": (32, { EVP_aes_256_ctr() }), "aes128-cbc": (16, { EVP_aes_128_cbc() }),
        "aes192-cbc": (24, { EVP_aes_192_cbc() }), "aes256-cbc": (32, { EVP_aes_256_cbc() }),
    ]

    private static func decrypt(_ section: [UInt8], cipher: String, kdfOptions: [UInt8], passphrase: String) -> [UInt8]? {
        guard let chosen = ciphers[cipher], let evpCipher = chosen.make(), section.count % 16 == 0 else { return nil }
        var options = SSHWireReader(kdfOptions)
        // ssh-keygen uses 16 rounds by default; far more would only stall the gateway.
        guard let salt = options.string(), let rounds = options.uint32(), rounds >= 1, rounds <= 1024,
              var material = BcryptPBKDF.derive(password: Array(passphrase.utf8), salt: salt, rounds: Int(rounds),
                                                keyLength: chosen.keyLength + 16) else { return nil }
        defer { BcryptPBKDF.wipe(&material) }
        guard let context = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(context) }
        let key = Array(material[0..<chosen.keyLength]), iv = Array(material[chosen.keyLength...])
        guard EVP_DecryptInit_ex(context, evpCipher, nil, key, iv) == 1, EVP_CIPHER_CTX_set_padding(context, 0) == 1 else {
            return nil
        }
        var output = [UInt8](repeating: 0, count: section.count + 16)
        var written: Int32 = 0, final: Int32 = 0
        guard EVP_DecryptUpdate(context, &output, &written, section, Int32(section.count)) == 1 else { return nil }
        let finished = output.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(context, buffer.baseAddress! + Int(written), &final)
        }
        guard finished == 1 else { return nil }
        let plain = Array(output[0..<Int(written + final)])
        for index in output.indices { output[index] = 0 }
        return plain
    }

    /// The ssh-rsa public key blob of an OpenSSH-format RSA key file,
    /// encrypted or not (the public key is stored in the clear).
    static func rsaPublicKey(_ bytes: [UInt8]) -> [UInt8]? {
        guard let blob = decodedBlob(bytes) else { return nil }
        var reader = SSHWireReader(blob)
        let magic = Array("openssh-key-v1".utf8) + [0]
        guard reader.take(magic.count) == magic, reader.string() != nil, reader.string() != nil, reader.string() != nil,
              let count = reader.uint32(), count == 1, let publicKey = reader.string() else { return nil }
        var inner = SSHWireReader(publicKey)
        guard let type = inner.string(), String(decoding: type, as: UTF8.self) == "ssh-rsa" else { return nil }
        return publicKey
    }

    private static func decodedBlob(_ bytes: [UInt8]) -> [UInt8]? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let begin = text.range(of: "-----BEGIN OPENSSH PRIVATE KEY-----"),
              let end = text.range(of: "-----END OPENSSH PRIVATE KEY-----", range: begin.upperBound..<text.endIndex),
              let data = Data(base64Encoded: String(text[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace })) else {
            return nil
        }
        return Array(data)
    }

    /// `value mod (modulus - 1)` for big-endian unsigned integers.
    private static func modulo(_ value: [UInt8], minusOne modulus: [UInt8]) -> [UInt8]? {
        guard let context = BN_CTX_new() else { return nil }
        defer { BN_CTX_free(context) }
        let a = BN_bin2bn(value, Int32(value.count), nil), m = BN_bin2bn(modulus, Int32(modulus.count), nil)
        let result = BN_new()
        defer { BN_clear_free(a); BN_clear_free(m); BN_clear_free(result) }
        guard let a, let m, let result, BN_sub_word(m, 1) == 1, BN_nnmod(result, a, m, context) == 1 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int((BN_num_bits(result) + 7) / 8))
        _ = BN_bn2bin(result, &bytes)
        return bytes
    }

    /// A DER INTEGER for an unsigned big-endian value (SSH mpints may carry a leading zero already).
    private static func derInteger(_ value: [UInt8]) -> [UInt8] {
        var content = Array(value.drop { $0 == 0 })
        if content.isEmpty || content[0] & 0x80 != 0 { content.insert(0, at: 0) }
        return [0x02] + derLength(content.count) + content
    }

    private static func derLength(_ count: Int) -> [UInt8] {
        if count < 0x80 { return [UInt8(count)] }
        var bytes: [UInt8] = []
        var remaining = count
        while remaining > 0 { bytes.insert(UInt8(remaining & 0xFF), at: 0); remaining >>= 8 }
        return [0x80 | UInt8(bytes.count)] + bytes
    }
}

/// Reads SSH wire-format fields (RFC 4251: uint32, string).
private struct SSHWireReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func take(_ count: Int) -> [UInt8]? {
        guard count >= 0, offset + count <= bytes.count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func uint32() -> UInt32? {
        take(4).map { $0.reduce(0) { $0 << 8 | UInt32($1) } }
    }

    mutating func string() -> [UInt8]? {
        guard let length = uint32() else { return nil }
        return take(Int(length))
    }
}
