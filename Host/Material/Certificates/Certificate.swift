import COpenSSL
import Foundation

/// An X.509 certificate, owned and freed with this object.
public final class Certificate: @unchecked Sendable, Hashable, CustomStringConvertible {
    // Safe to share: the X509 is never modified after init; OpenSSL 3 guards
    // its lazily computed extension cache with the object's own lock.
    let pointer: OpaquePointer

    /// Takes ownership of an X509 reference.
    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    /// Shares an X509 someone else owns by taking a reference of our own.
    convenience init(retaining pointer: OpaquePointer) {
        X509_up_ref(pointer)
        self.init(taking: pointer)
    }

    deinit { X509_free(pointer) }

    /// Reads one DER certificate.
    public convenience init(der: [UInt8], what: String = "certificate") throws {
        OpenSSLErrorQueue.clear()
        guard let parsed = DEREncoding.decode(der, { d2i_X509(nil, $0, $1) }) else {
            throw MaterialError.unreadable(what: what, reason: "not a DER X.509 certificate ("
                                               + OpenSSLErrorQueue.drain().joined(separator: "; ") + ")")
        }
        self.init(taking: parsed)
    }

    /// Reads the single certificate of a PEM text; more than one is an error (use `parseAll`).
    public convenience init(pem: String, what: String = "certificate") throws {
        let all = try Certificate.parseAll(pem: pem, what: what)
        guard all.count == 1, let only = all.first else {
            throw MaterialError.unreadable(what: what, reason: "holds \(all.count) certificates where one was expected")
        }
        self.init(retaining: only.pointer)
    }

    /// Every certificate in `data`: PEM with one or many "CERTIFICATE" blocks
    /// (other blocks such as keys are skipped), or a single DER certificate.
    public static func parseAll(_ data: [UInt8], what: String = "certificate") throws -> [Certificate] {
        if data.first(where: { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }) == 0x30 {
            return [try Certificate(der: data, what: what)]
        }
        return try parseAll(pem: String(decoding: data, as: UTF8.self), what: what)
    }

    /// Every "CERTIFICATE" block of a PEM text, in order.
    public static func parseAll(pem: String, what: String = "certificate") throws -> [Certificate] {
        let blocks = try PEMBlock.split(pem, what: what).filter(\.isCertificate)
        guard !blocks.isEmpty else {
            throw MaterialError.unreadable(what: what, reason: "no PEM 'CERTIFICATE' block found; supply PEM or DER")
        }
        return try blocks.enumerated().map { index, block in
            try Certificate(block: block, what: blocks.count == 1 ? what : "\(what) #\(index + 1) (line \(block.line))")
        }
    }

    convenience init(block: PEMBlock, what: String) throws {
        OpenSSLErrorQueue.clear()
        let input = try MemoryBIO(Array(block.text.utf8))
        guard let parsed = PEM_read_bio_X509_AUX(input.pointer, nil, nil, nil) else {
            throw MaterialError.unreadable(what: what, reason: OpenSSLErrorQueue.drain().joined(separator: "; "))
        }
        self.init(taking: parsed)
    }

    /// RFC 4514 subject, most specific first: "CN=www.example.com,O=Example,C=US".
    public var subject: String { X509Name.rfc4514(X509_get_subject_name(pointer)) }
    /// RFC 4514 issuer.
    public var issuer: String { X509Name.rfc4514(X509_get_issuer_name(pointer)) }
    /// The subject's common name, if it has one.
    public var commonName: String? { X509Name.commonName(X509_get_subject_name(pointer)) }

    /// The DNS and IP entries of the subjectAltName extension, in order.
    public var subjectAlternativeNames: [SubjectAlternativeName] {
        guard let names = X509_get_ext_d2i(pointer, NID_subject_alt_name, nil, nil) else { return [] }
        let stack = OpaquePointer(names)
        defer { og_GENERAL_NAMES_free(stack) }
        return GeneralNames.read(stack)
    }

    /// The DNS names of subjectAltName, in order.
    public var dnsNames: [String] {
        subjectAlternativeNames.compactMap { if case .dns(let name) = $0 { return name } else { return nil } }
    }

    /// The IP addresses of subjectAltName in canonical text form, in order.
    public var ipAddresses: [String] {
        subjectAlternativeNames.compactMap { if case .ipAddress(let address) = $0 { return address } else { return nil } }
    }

    /// The serial number in lowercase hexadecimal without separators.
    public var serialHex: String {
        guard let serial = X509_get0_serialNumber(pointer) else { return "" }
        let bytes = Array(UnsafeBufferPointer(start: ASN1_STRING_get0_data(serial), count: Int(ASN1_STRING_length(serial))))
        let text = bytes.lowercaseHex
        let trimmed = text.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    /// The validity period (second precision).
    public var notBefore: Date { ASN1Time.date(X509_get0_notBefore(pointer)) }
    public var notAfter: Date { ASN1Time.date(X509_get0_notAfter(pointer)) }

    /// SHA-256 over the DER encoding, lowercase hex without separators.
    public var sha256Fingerprint: String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(pointer, EVP_sha256(), &digest, &length) == 1 else { return "" }
        return Array(digest[0..<Int(length)]).lowercaseHex
    }

    /// "RSA-2048", "EC-P256", ... for the certified public key.
    public var keyAlgorithm: String {
        guard let key = X509_get0_pubkey(pointer) else { return "unknown" }
        return KeyDescription.describe(key)
    }

    /// True when basicConstraints marks the certificate as a CA.
    public var isCA: Bool { X509_get_extension_flags(pointer) & UInt32(EXFLAG_CA) != 0 }

    /// True when the certificate is signed by its own key under its own name (a root).
    public var isSelfSigned: Bool { X509_self_signed(pointer, 1) == 1 }

    /// The certified public key as DER SubjectPublicKeyInfo.
    public var publicKeyDER: [UInt8] {
        guard let key = X509_get0_pubkey(pointer) else { return [] }
        return (try? DEREncoding.encode("public key") { i2d_PUBKEY(key, $0) }) ?? []
    }

    /// The certificate as DER.
    public var der: [UInt8] {
        // Re-encoding a certificate OpenSSL parsed cannot fail short of memory exhaustion.
        (try? DEREncoding.encode("certificate") { i2d_X509(pointer, $0) }) ?? []
    }

    /// The certificate as PEM ("-----BEGIN CERTIFICATE-----").
    public var pem: String {
        guard let output = try? MemoryBIO(), PEM_write_bio_X509(output.pointer, pointer) == 1 else { return "" }
        return output.text
    }

    /// True when `privateKey` is the private half of this certificate's public key.
    public func matches(privateKey: PrivateKey) -> Bool {
        guard let key = X509_get0_pubkey(pointer) else { return false }
        let equal = EVP_PKEY_eq(key, privateKey.pointer) == 1
        OpenSSLErrorQueue.clear()
        return equal
    }

    /// True when `issuer`'s name and key identifiers say it issued this certificate
    /// (the signature itself is checked by `ChainValidation`).
    public func isIssued(by issuer: Certificate) -> Bool {
        let result = X509_check_issued(issuer.pointer, pointer) == X509_V_OK
        OpenSSLErrorQueue.clear()
        return result
    }

    /// True when `issuer`'s key verifies this certificate's signature.
    func isSignatureVerified(by issuer: Certificate) -> Bool {
        guard let key = X509_get0_pubkey(issuer.pointer) else { return false }
        let result = X509_verify(pointer, key) == 1
        OpenSSLErrorQueue.clear()
        return result
    }

    /// Certificates are equal when their DER encodings are.
    public static func == (lhs: Certificate, rhs: Certificate) -> Bool {
        lhs === rhs || X509_cmp(lhs.pointer, rhs.pointer) == 0
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(der) }

    public var description: String { "\(subject) (SHA-256 \(sha256Fingerprint))" }
}
