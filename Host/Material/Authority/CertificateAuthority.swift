import COpenSSL
import Foundation

/// A small certificate authority for demos and tests: a root, optional
/// intermediates, and leaves signed from CSRs. Not for production issuance:
/// it keeps no records, publishes no revocation and enforces no policy.
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    public let key: PrivateKey

    /// Uses an existing CA certificate and its key.
    public init(certificate: Certificate, key: PrivateKey) throws {
        guard certificate.matches(privateKey: key) else {
            throw MaterialError.keyMismatch(certificateSubject: certificate.subject)
        }
        guard certificate.isCA else {
            throw MaterialError.invalidField(field: "CA certificate", value: certificate.subject,
                                             problem: "is not a CA certificate (basicConstraints CA:TRUE is missing)")
        }
        self.certificate = certificate
        self.key = key
    }

    /// Makes a self-signed root CA with a fresh key.
    public static func makeRoot(subject: CertificateSubject, keySpec: KeySpec = .ecdsa(curve: .p256),
                                notBefore: Date = Date().addingTimeInterval(-3600),
                                notAfter: Date = Date().addingTimeInterval(10 * 365 * 86400)) throws -> CertificateAuthority {
        let key = try PrivateKey.generate(keySpec)
        let name = try subject.makeName()
        defer { X509_NAME_free(name) }
        let certificate = try CertificateBuilder.build(
            subjectName: name, publicKey: key.pointer, issuer: nil, issuerKey: key,
            notBefore: notBefore, notAfter: notAfter,
            extensions: [(NID_basic_constraints, "critical,CA:TRUE"),
                         (NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"),
                         (NID_subject_key_identifier, "hash")],
            subjectAlternativeNames: nil)
        return try CertificateAuthority(certificate: certificate, key: key)
    }

    /// Makes an intermediate CA (pathlen 0) signed by this CA, with a fresh key.
    public func makeIntermediate(subject: CertificateSubject, keySpec: KeySpec = .ecdsa(curve: .p256),
                                 notBefore: Date = Date().addingTimeInterval(-3600),
                                 notAfter: Date = Date().addingTimeInterval(5 * 365 * 86400)) throws -> CertificateAuthority {
        let intermediateKey = try PrivateKey.generate(keySpec)
        let name = try subject.makeName()
        defer { X509_NAME_free(name) }
        let issued = try CertificateBuilder.build(
            subjectName: name, publicKey: intermediateKey.pointer, issuer: certificate, issuerKey: key,
            notBefore: notBefore, notAfter: notAfter,
            extensions: [(NID_basic_constraints, "critical,CA:TRUE,pathlen:0"),
                         (NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"),
                         (NID_subject_key_identifier, "hash"),
                         (NID_authority_key_identifier, "keyid:always")],
            subjectAlternativeNames: nil)
        return try CertificateAuthority(certificate: issued, key: intermediateKey)
    }

    /// Signs `request` into a TLS leaf (serverAuth and clientAuth) with a random
    /// serial and SHA-256. `sans` replaces the request's subjectAltNames when given.
    public func sign(_ request: CertificateSigningRequest, sans: [SubjectAlternativeName]? = nil,
                     notBefore: Date = Date().addingTimeInterval(-300),
                     notAfter: Date = Date().addingTimeInterval(90 * 86400)) throws -> Certificate {
        try request.verifySignature()
        guard let publicKey = X509_REQ_get0_pubkey(request.pointer),
              let name = X509_REQ_get_subject_name(request.pointer) else {
            throw MaterialError.unreadable(what: "certificate signing request", reason: "it has no public key or subject")
        }
        let names = try sans.map { try GeneralNames.make($0, field: "subjectAltName") }
            ?? (request.subjectAlternativeNames.isEmpty ? nil
                : try GeneralNames.make(request.subjectAlternativeNames, field: "CSR subjectAltName"))
        defer { if let names { og_GENERAL_NAMES_free(names) } }
        let keyUsage = EVP_PKEY_get_base_id(publicKey) == EVP_PKEY_RSA
            ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature"
        return try CertificateBuilder.build(
            subjectName: name, publicKey: publicKey, issuer: certificate, issuerKey: key,
            notBefore: notBefore, notAfter: notAfter,
            extensions: [(NID_basic_constraints, "critical,CA:FALSE"),
                         (NID_key_usage, keyUsage),
                         (NID_ext_key_usage, "serverAuth,clientAuth"),
                         (NID_subject_key_identifier, "hash"),
                         (NID_authority_key_identifier, "keyid:always")],
            subjectAlternativeNames: names)
    }

    /// Generates a key, a CSR for it and the signed leaf in one step.
    public func issue(subject: CertificateSubject, sans: [SubjectAlternativeName], keySpec: KeySpec = .ecdsa(curve: .p256),
                      notBefore: Date = Date().addingTimeInterval(-300),
                      notAfter: Date = Date().addingTimeInterval(90 * 86400)) throws -> (key: PrivateKey, certificate: Certificate) {
        let leafKey = try PrivateKey.generate(keySpec)
        let request = try CertificateSigningRequest.make(key: leafKey, subject: subject, sans: sans)
        return (leafKey, try sign(request, notBefore: notBefore, notAfter: notAfter))
    }
}

/// Assembles and signs one X.509 v3 certificate.
enum CertificateBuilder {
    static func build(subjectName: OpaquePointer, publicKey: OpaquePointer, issuer: Certificate?, issuerKey: PrivateKey,
                      notBefore: Date, notAfter: Date, extensions: [(nid: Int32, value: String)],
                      subjectAlternativeNames: OpaquePointer?) throws -> Certificate {
        guard notBefore < notAfter else {
            throw MaterialError.invalidField(field: "validity", value: "\(notBefore) – \(notAfter)",
                                             problem: "ends before it begins; make notAfter later than notBefore")
        }
        OpenSSLErrorQueue.clear()
        guard let x509 = X509_new() else { throw OpenSSLErrorQueue.failure("creating a certificate") }
        let certificate = Certificate(taking: x509)
        guard X509_set_version(x509, 2) == 1,
              try setRandomSerial(x509),
              X509_set_subject_name(x509, subjectName) == 1,
              X509_set_issuer_name(x509, issuer.map { X509_get_subject_name($0.pointer) } ?? subjectName) == 1,
              X509_set_pubkey(x509, publicKey) == 1,
              ASN1_TIME_set(X509_getm_notBefore(x509), ASN1Time.seconds(notBefore)) != nil,
              ASN1_TIME_set(X509_getm_notAfter(x509), ASN1Time.seconds(notAfter)) != nil else {
            throw OpenSSLErrorQueue.failure("filling in the certificate")
        }
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.pointer ?? x509, x509, nil, nil, 0)
        for (nid, value) in extensions {
            guard let created = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw OpenSSLErrorQueue.failure("adding extension \(String(cString: OBJ_nid2sn(nid)))")
            }
            defer { X509_EXTENSION_free(created) }
            guard X509_add_ext(x509, created, -1) == 1 else {
                throw OpenSSLErrorQueue.failure("adding extension \(String(cString: OBJ_nid2sn(nid)))")
            }
        }
        if let subjectAlternativeNames {
            guard X509_add1_ext_i2d(x509, NID_subject_alt_name, UnsafeMutableRawPointer(subjectAlternativeNames), 0,
                                    UInt(X509V3_ADD_DEFAULT)) == 1 else {
                throw OpenSSLErrorQueue.failure("adding subjectAltName")
            }
        }
        guard X509_sign(x509, issuerKey.pointer, KeyDescription.signingDigest(for: issuerKey.pointer)) > 0 else {
            throw OpenSSLErrorQueue.failure("signing the certificate")
        }
        return certificate
    }

    /// 127 random bits, positive and without a leading zero byte, as CAs/B.R. expect (>= 64 bits of entropy).
    private static func setRandomSerial(_ x509: OpaquePointer) throws -> Bool {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&bytes, Int32(bytes.count)) == 1 else { throw OpenSSLErrorQueue.failure("drawing a serial number") }
        bytes[0] = (bytes[0] & 0x7f) | 0x40
        guard let number = BN_bin2bn(bytes, Int32(bytes.count), nil) else { return false }
        defer { BN_free(number) }
        return BN_to_ASN1_INTEGER(number, X509_get_serialNumber(x509)) != nil
    }
}
