import COpenSSL
import CSSH2
import Foundation

/// A PEM private key (PKCS#1 or PKCS#8, optionally encrypted) opened with
/// OpenSSL in memory. It tells a wrong passphrase apart from a damaged file,
/// which libssh2 1.10 reports only as a parse error, and it lets RSA keys log
/// in with `rsa-sha2-256` signatures: libssh2 1.10 signs RSA keys only with
/// SHA-1 (`ssh-rsa`), which OpenSSH refuses by default since 8.8.
final class PEMPrivateKey {
    enum OpenError: Error { case wrongPassphraseOrDamaged, notPEM }

    private let key: OpaquePointer

    /// nil-passphrase keys are read without one. Throws `.notPEM` for other formats.
    init(_ bytes: [UInt8], passphrase: String?) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.contains("-----BEGIN RSA PRIVATE KEY-----") || text.contains("-----BEGIN EC PRIVATE KEY-----")
            || text.contains("-----BEGIN PRIVATE KEY-----") || text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") else {
            throw OpenError.notPEM
        }
        let bio = bytes.withUnsafeBytes { BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }
        defer { BIO_free(bio) }
        // With no callback, OpenSSL takes the last argument as the passphrase; "" never opens an encrypted key.
        let opened = (passphrase ?? "").withCString { phrase in
            PEM_read_bio_PrivateKey(bio, nil, nil, UnsafeMutableRawPointer(mutating: phrase))
        }
        ERR_clear_error()
        guard let opened else { throw OpenError.wrongPassphraseOrDamaged }
        key = opened
    }

    deinit { EVP_PKEY_free(key) }

    var isRSA: Bool { EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA }

    /// The public key in SSH wire form, naming the algorithm `rsa-sha2-256`.
    /// libssh2 takes the method name of a public key request from the blob's
    /// first string; OpenSSH reads that name as an RSA key and then checks the
    /// signature as SHA-256. Only for RSA keys.
    var rsaSHA256Blob: [UInt8] {
        var blob = Self.sshString(Array("rsa-sha2-256".utf8))
        blob += Self.sshString(Self.mpint(parameter: "e", of: key))
        blob += Self.sshString(Self.mpint(parameter: "n", of: key))
        return blob
    }

    /// An RSA PKCS#1 v1.5 SHA-256 signature of `data`, or nil.
    func signSHA256(_ data: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else { return nil }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count) == 1 else {
            return nil
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count) == 1 else {
            return nil
        }
        return Array(signature[0..<length])
    }

    /// Logs in with this RSA key, signing with SHA-256. Returns libssh2's result.
    func authenticateRSA(_ session: SSHSession, user: String, deadline: Deadline) throws -> Int32 {
        let blob = rsaSHA256Blob
        var context: UnsafeMutableRawPointer? = Unmanaged.passUnretained(self).toOpaque()
        return try session.call(deadline) {
            blob.withUnsafeBufferPointer { blob in
                libssh2_userauth_publickey(session.raw, user, blob.baseAddress, blob.count, signWithPEMKey, &context)
            }
        }
    }

    private static func sshString(_ bytes: [UInt8]) -> [UInt8] {
        let count = UInt32(bytes.count)
        return [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)] + bytes
    }

    /// An SSH mpint: big-endian, with a leading zero when the top bit is set (it is positive).
    private static func mpint(parameter: String, of key: OpaquePointer) -> [UInt8] {
        var number: OpaquePointer?
        guard EVP_PKEY_get_bn_param(key, parameter, &number) == 1, let number else { return [] }
        defer { BN_free(number) }
        var bytes = [UInt8](repeating: 0, count: Int((BN_num_bits(number) + 7) / 8))
        _ = BN_bn2bin(number, &bytes)
        if let first = bytes.first, first & 0x80 != 0 { bytes.insert(0, at: 0) }
        return bytes
    }
}

/// libssh2's public key sign callback: `abstract` points at the `PEMPrivateKey`.
/// The signature must come from malloc, since libssh2 releases it with free().
private let signWithPEMKey: @convention(c) (
    OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, UnsafeMutablePointer<Int>?,
    UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> Int32 = { _, signatureOut, lengthOut, data, dataLength, abstract in
    guard let signatureOut, let lengthOut, let data, let context = abstract?.pointee else { return -1 }
    let key = Unmanaged<PEMPrivateKey>.fromOpaque(context).takeUnretainedValue()
    guard let signature = key.signSHA256(UnsafeRawBufferPointer(start: data, count: dataLength)),
          let copy = malloc(signature.count)?.assumingMemoryBound(to: UInt8.self) else { return -1 }
    copy.initialize(from: signature, count: signature.count)
    signatureOut.pointee = copy
    lengthOut.pointee = signature.count
    return 0
}
