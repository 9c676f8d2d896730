import COpenSSL

/// A PKCS#10 certificate signing request, owned and freed with this object.
public final class CertificateSigningRequest: @unchecked Sendable {
    // Safe to share: the X509_REQ is never modified after init.
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    deinit { X509_REQ_free(pointer) }

    /// Builds and signs (SHA-256) a request for `key` with `subject` and the
    /// given DNS/IP subjectAltNames, each validated first.
    public static func make(key: PrivateKey, subject: CertificateSubject,
                            sans: [SubjectAlternativeName]) throws -> CertificateSigningRequest {
        OpenSSLErrorQueue.clear()
        let name = try subject.makeName()
        defer { X509_NAME_free(name) }
        let names = sans.isEmpty ? nil : try GeneralNames.make(sans, field: "subjectAltName")
        defer { if let names { og_GENERAL_NAMES_free(names) } }

        guard let request = X509_REQ_new() else { throw OpenSSLErrorQueue.failure("creating a CSR") }
        let csr = CertificateSigningRequest(taking: request)
        guard X509_REQ_set_version(request, 0) == 1,
              X509_REQ_set_subject_name(request, name) == 1,
              X509_REQ_set_pubkey(request, key.pointer) == 1 else {
            throw OpenSSLErrorQueue.failure("filling in the CSR")
        }
        if let names {
            var extensions: OpaquePointer?
            defer { if let extensions { og_sk_X509_EXTENSION_pop_free(extensions) } }
            guard X509V3_add1_i2d(&extensions, NID_subject_alt_name, UnsafeMutableRawPointer(names), 0,
                                  UInt(X509V3_ADD_DEFAULT)) == 1,
                  X509_REQ_add_extensions(request, extensions) == 1 else {
                throw OpenSSLErrorQueue.failure("adding subjectAltName to the CSR")
            }
        }
        guard X509_REQ_sign(request, key.pointer, KeyDescription.signingDigest(for: key.pointer)) > 0 else {
            throw OpenSSLErrorQueue.failure("signing the CSR")
        }
        return csr
    }

    /// Reads a PEM "CERTIFICATE REQUEST" (or "NEW CERTIFICATE REQUEST").
    public convenience init(pem: String, what: String = "certificate signing request") throws {
        OpenSSLErrorQueue.clear()
        let input = try MemoryBIO(Array(pem.utf8))
        guard let parsed = PEM_read_bio_X509_REQ(input.pointer, nil, nil, nil) else {
            throw MaterialError.unreadable(what: what, reason: "expected a PEM 'CERTIFICATE REQUEST' block ("
                                               + OpenSSLErrorQueue.drain().joined(separator: "; ") + ")")
        }
        self.init(taking: parsed)
    }

    /// Reads a DER request.
    public convenience init(der: [UInt8], what: String = "certificate signing request") throws {
        OpenSSLErrorQueue.clear()
        guard let parsed = DEREncoding.decode(der, { d2i_X509_REQ(nil, $0, $1) }) else {
            throw MaterialError.unreadable(what: what, reason: "not a DER PKCS#10 request ("
                                               + OpenSSLErrorQueue.drain().joined(separator: "; ") + ")")
        }
        self.init(taking: parsed)
    }

    /// The request as PEM ("-----BEGIN CERTIFICATE REQUEST-----").
    public var pem: String {
        guard let output = try? MemoryBIO(), PEM_write_bio_X509_REQ(output.pointer, pointer) == 1 else { return "" }
        return output.text
    }

    /// The request as DER.
    public var der: [UInt8] { (try? DEREncoding.encode("CSR") { i2d_X509_REQ(pointer, $0) }) ?? [] }

    /// The subject fields og-host knows.
    public var subject: CertificateSubject {
        guard let name = X509_REQ_get_subject_name(pointer) else { return CertificateSubject() }
        return CertificateSubject(reading: name)
    }

    /// The whole subject as an RFC 4514 string.
    public var subjectName: String { X509Name.rfc4514(X509_REQ_get_subject_name(pointer)) }

    /// The DNS and IP entries of the requested subjectAltName extension.
    public var subjectAlternativeNames: [SubjectAlternativeName] {
        guard let extensions = X509_REQ_get_extensions(pointer) else {
            OpenSSLErrorQueue.clear()
            return []
        }
        defer { og_sk_X509_EXTENSION_pop_free(extensions) }
        guard let names = X509V3_get_d2i(extensions, NID_subject_alt_name, nil, nil) else { return [] }
        let stack = OpaquePointer(names)
        defer { og_GENERAL_NAMES_free(stack) }
        return GeneralNames.read(stack)
    }

    /// The requested public key as DER SubjectPublicKeyInfo.
    public var publicKeyDER: [UInt8] {
        guard let key = X509_REQ_get0_pubkey(pointer) else { return [] }
        return (try? DEREncoding.encode("public key") { i2d_PUBKEY(key, $0) }) ?? []
    }

    /// "RSA-2048", "EC-P256", ... for the requested key.
    public var keyAlgorithm: String {
        guard let key = X509_REQ_get0_pubkey(pointer) else { return "unknown" }
        return KeyDescription.describe(key)
    }

    /// True when the request is signed by the private half of the key it carries.
    public var isSignatureValid: Bool {
        guard let key = X509_REQ_get0_pubkey(pointer) else { return false }
        let valid = X509_REQ_verify(pointer, key) == 1
        OpenSSLErrorQueue.clear()
        return valid
    }

    /// Throws unless the request's self-signature verifies.
    public func verifySignature() throws {
        guard isSignatureValid else {
            throw MaterialError.unreadable(what: "certificate signing request (\(subjectName))",
                                           reason: "its signature does not verify with the key it carries; "
                                               + "the request was altered or damaged, generate it again")
        }
    }

    /// True when `privateKey` is the private half of the requested key.
    public func matches(privateKey: PrivateKey) -> Bool {
        guard let key = X509_REQ_get0_pubkey(pointer) else { return false }
        return EVP_PKEY_eq(key, privateKey.pointer) == 1
    }
}
