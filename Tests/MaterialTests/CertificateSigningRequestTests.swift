import OGTestSupport
import Testing
@testable import OGMaterial

@Suite struct CertificateSigningRequestTests {
    let fullSubject = CertificateSubject(commonName: "www.example.test", organization: "Example Ltd",
                                         organizationalUnit: "Web", locality: "Zürich", stateOrProvince: "ZH",
                                         country: "CH", emailAddress: "pki@example.test")

    @Test(arguments: [KeySpec.rsa(bits: 2048), .ecdsa(curve: .p256)])
    func openSSLVerifiesOurRequestAndSeesEveryField(spec: KeySpec) throws {
        let directory = try TemporaryDirectory("og-csr")
        let key = try PrivateKey.generate(spec)
        let csr = try CertificateSigningRequest.make(key: key, subject: fullSubject,
                                                     sans: [.dns("www.example.test"), .dns("*.api.example.test"),
                                                            .ipAddress("192.0.2.10"), .ipAddress("2001:db8::1")])
        let path = try directory.write("req.pem", csr.pem)
        let output = try Tools.openssl(["req", "-in", path, "-verify", "-noout", "-text", "-nameopt", "utf8"])
        let text = output.standardOutputText + output.standardErrorText
        #expect(text.contains("verify OK"))
        #expect(text.contains("Subject: C=CH, ST=ZH, L=Zürich, O=Example Ltd, OU=Web, CN=www.example.test, "
            + "emailAddress=pki@example.test"))
        #expect(text.contains("DNS:www.example.test, DNS:*.api.example.test, IP Address:192.0.2.10, IP Address:2001:DB8:0:0:0:0:0:1"))
        #expect(text.contains(spec == .rsa(bits: 2048) ? "sha256WithRSAEncryption" : "ecdsa-with-SHA256"))
    }

    @Test func parsesARequestMadeByOpenSSL() throws {
        let directory = try TemporaryDirectory("og-csr")
        try Tools.openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes",
                           "-keyout", directory.file("key.pem"), "-out", directory.file("req.pem"),
                           "-subj", "/C=DE/O=Beispiel GmbH/CN=api.example.test",
                           "-addext", "subjectAltName=DNS:api.example.test,IP:10.0.0.7,IP:::1"])
        let csr = try CertificateSigningRequest(pem: String(decoding: directory.read("req.pem"), as: UTF8.self))
        #expect(csr.subject == CertificateSubject(commonName: "api.example.test", organization: "Beispiel GmbH", country: "DE"))
        #expect(csr.subjectName == "CN=api.example.test,O=Beispiel GmbH,C=DE")
        #expect(csr.subjectAlternativeNames == [.dns("api.example.test"), .ipAddress("10.0.0.7"), .ipAddress("::1")])
        #expect(csr.isSignatureValid)
        #expect(csr.keyAlgorithm == "EC-P384")
        let key = try PrivateKey(pemBytes: directory.read("key.pem"))
        #expect(csr.publicKeyDER == key.publicKeyDER)
        #expect(csr.matches(privateKey: key))
        #expect(try CertificateSigningRequest(der: csr.der).subjectName == csr.subjectName)
    }

    @Test func detectsATamperedRequest() throws {
        let key = try PrivateKey.generate(.ecdsa(curve: .p256))
        let csr = try CertificateSigningRequest.make(key: key, subject: CertificateSubject(commonName: "a.example.test"),
                                                     sans: [.dns("a.example.test")])
        var der = csr.der
        // Flip a byte inside the common name, which the signature covers.
        let name = Array("a.example.test".utf8)
        let offset = try #require(der.indices.first { der[$0...].starts(with: name) })
        der[offset] = UInt8(ascii: "b")
        let tampered = try CertificateSigningRequest(der: der)
        #expect(!tampered.isSignatureValid)
        #expect(throws: MaterialError.self) { try tampered.verifySignature() }
    }

    @Test(arguments: [("exa mple.com", "label 'exa mple' contains ' '"), ("bad_name.example.com", "contains '_'"),
                      ("example.com.", "ends with a dot"), ("-lead.example.com", "starts or ends with a hyphen"),
                      ("a..b.com", "empty label"), ("w*.example.com", "wildcard must be the whole leftmost label"),
                      ("*.com", "wildcard must stand under a domain"), ("bücher.example", "punycode"),
                      ("10.0.0.1", "give it as an IP SAN")])
    func rejectsBadDNSNamesNamingTheEntry(name: String, problem: String) throws {
        let key = try PrivateKey.generate(.ecdsa(curve: .p256))
        #expect {
            try CertificateSigningRequest.make(key: key, subject: CertificateSubject(commonName: "x"),
                                               sans: [.dns("ok.example.com"), .dns(name)])
        } throws: { error in
            let message = "\(error)"
            return message.hasPrefix("subjectAltName[1]: '\(name)' is not a valid DNS name") && message.contains(problem)
        }
    }

    @Test(arguments: ["256.1.1.1", "10.0.0", "1.2.3.4.5", "2001:db8::g", "[::1]", "fe80::1%eth0", "localhost"])
    func rejectsBadIPAddressesNamingTheEntry(address: String) throws {
        let key = try PrivateKey.generate(.ecdsa(curve: .p256))
        #expect {
            try CertificateSigningRequest.make(key: key, subject: CertificateSubject(commonName: "x"), sans: [.ipAddress(address)])
        } throws: { error in
            "\(error)".hasPrefix("subjectAltName[0]: '\(address)' is not a valid IPv4 or IPv6 address")
        }
    }

    @Test func rejectsBadSubjectFieldsNamingTheField() throws {
        let key = try PrivateKey.generate(.ecdsa(curve: .p256))
        #expect(throws: MaterialError.invalidField(field: "subject.C", value: "USA",
                                                   problem: "is not a two-letter ISO 3166 country code; use e.g. 'US' or 'DE'")) {
            try CertificateSigningRequest.make(key: key, subject: CertificateSubject(commonName: "x", country: "USA"), sans: [])
        }
        #expect { try CertificateSigningRequest.make(key: key, subject: CertificateSubject(), sans: [.dns("x.test")]) }
            throws: { "\($0)".hasPrefix("subject: ") }
        #expect {
            try CertificateSigningRequest.make(key: key, subject: CertificateSubject(commonName: String(repeating: "a", count: 65)),
                                               sans: [])
        } throws: { "\($0)".contains("subject.CN") && "\($0)".contains("the limit is 64") }
    }

    @Test func parsesSANStrings() throws {
        #expect(try SubjectAlternativeName(parsing: "DNS:WWW.Example.Test") == .dns("www.example.test"))
        #expect(try SubjectAlternativeName(parsing: "ip:2001:0db8:0000::0001") == .ipAddress("2001:db8::1"))
        #expect(try SubjectAlternativeName(parsing: "192.0.2.1") == .ipAddress("192.0.2.1"))
        #expect(try SubjectAlternativeName(parsing: "host.example.test") == .dns("host.example.test"))
        #expect(throws: MaterialError.self) { try SubjectAlternativeName(parsing: "IP:host.example.test") }
    }
}
