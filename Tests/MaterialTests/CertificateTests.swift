import Foundation
import OGTestSupport
import Testing
@testable import OGMaterial

@Suite struct CertificateTests {
    /// A self-signed certificate made by the openssl CLI, and the CLI's own view of it.
    private func openSSLCertificate(in directory: TemporaryDirectory) throws -> (pem: [UInt8], fields: [String: String]) {
        try Tools.openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                           "-keyout", directory.file("key.pem"), "-out", directory.file("cert.pem"),
                           "-subj", "/C=US/O=Example, Inc./CN=svc.example.test",
                           "-addext", "subjectAltName=DNS:svc.example.test,DNS:alt.example.test,IP:127.0.0.1,IP:::1"])
        let output = try Tools.openssl(["x509", "-in", directory.file("cert.pem"), "-noout", "-serial", "-fingerprint",
                                        "-sha256", "-enddate", "-startdate"]).standardOutputText
        var fields: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        return (try directory.read("cert.pem"), fields)
    }

    @Test func readsEveryPropertyTheWayOpenSSLDoes() throws {
        let directory = try TemporaryDirectory("og-cert")
        let (pem, fields) = try openSSLCertificate(in: directory)
        let certificate = try #require(try Certificate.parseAll(pem).first)
        #expect(certificate.subject == "CN=svc.example.test,O=Example\\, Inc.,C=US")
        #expect(certificate.issuer == certificate.subject)
        #expect(certificate.commonName == "svc.example.test")
        #expect(certificate.dnsNames == ["svc.example.test", "alt.example.test"])
        #expect(certificate.ipAddresses == ["127.0.0.1", "::1"])
        #expect(certificate.serialHex == fields["serial"]?.lowercased().drop { $0 == "0" }.description)
        let fingerprint = try #require(fields["sha256 Fingerprint"])
        #expect(certificate.sha256Fingerprint == fingerprint.replacingOccurrences(of: ":", with: "").lowercased())
        #expect(certificate.keyAlgorithm == "RSA-2048")
        #expect(certificate.isCA)  // openssl req -x509 marks its self-signed output CA:TRUE
        #expect(certificate.isSelfSigned)
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "GMT")
        format.dateFormat = "MMM d HH:mm:ss yyyy 'GMT'"
        let squeeze = { (text: String) in text.split(separator: " ").joined(separator: " ") }
        #expect(certificate.notAfter == format.date(from: squeeze(fields["notAfter"] ?? "")))
        #expect(certificate.notBefore == format.date(from: squeeze(fields["notBefore"] ?? "")))
        let key = try PrivateKey(pemBytes: directory.read("key.pem"))
        #expect(certificate.matches(privateKey: key))
        #expect(!certificate.matches(privateKey: try PrivateKey.generate(.rsa(bits: 2048))))
        #expect(certificate.publicKeyDER == key.publicKeyDER)
    }

    @Test func pemAndDERRoundTrip() throws {
        let hierarchy = try Hierarchy()
        let der = hierarchy.leaf.der
        #expect(try Certificate(der: der) == hierarchy.leaf)
        #expect(try Certificate(pem: hierarchy.leaf.pem).sha256Fingerprint == hierarchy.leaf.sha256Fingerprint)
        #expect(try Certificate.parseAll(der).count == 1)
    }

    @Test func parsesEveryCertificateOfABundleSkippingOtherBlocks() throws {
        let hierarchy = try Hierarchy()
        let bundle = try hierarchy.leafKey.pkcs8PEM() + hierarchy.leaf.pem + "junk between blocks\n"
            + hierarchy.intermediate.certificate.pem + hierarchy.root.certificate.pem
        let parsed = try Certificate.parseAll(Array(bundle.utf8))
        #expect(parsed == [hierarchy.leaf, hierarchy.intermediate.certificate, hierarchy.root.certificate])
        #expect(throws: MaterialError.self) { try Certificate(pem: bundle) }
    }

    @Test func reportsWhichCertificateOfABundleIsDamaged() throws {
        let hierarchy = try Hierarchy()
        var second = hierarchy.intermediate.certificate.pem.split(separator: "\n").map(String.init)
        second[3] = String(second[3].reversed())
        let text = hierarchy.leaf.pem + second.joined(separator: "\n") + "\n"
        #expect { try Certificate.parseAll(pem: text) } throws: { error in
            guard case MaterialError.unreadable(let what, _) = error else { return false }
            return what.hasPrefix("certificate #2")
        }
        let truncated = String(hierarchy.leaf.pem.dropLast(30))
        #expect { try Certificate.parseAll(pem: truncated) } throws: { "\($0)".contains("has no END line") }
        #expect { try Certificate.parseAll(pem: "hello") } throws: { "\($0)".contains("no PEM 'CERTIFICATE' block") }
    }

    @Test func distinguishesCAFromLeaf() throws {
        let hierarchy = try Hierarchy()
        #expect(hierarchy.root.certificate.isCA && hierarchy.intermediate.certificate.isCA)
        #expect(!hierarchy.leaf.isCA)
        #expect(hierarchy.root.certificate.isSelfSigned && !hierarchy.intermediate.certificate.isSelfSigned)
    }
}

@Suite struct CertificateAuthorityTests {
    @Test func issuesLeavesOpenSSLAcceptsWithSANsFromTheRequest() throws {
        let directory = try TemporaryDirectory("og-ca")
        let hierarchy = try Hierarchy(leafSpec: .rsa(bits: 2048))
        let rootPath = try directory.write("root.pem", hierarchy.root.certificate.pem)
        let intermediatePath = try directory.write("intermediate.pem", hierarchy.intermediate.certificate.pem)
        let leafPath = try directory.write("leaf.pem", hierarchy.leaf.pem)
        let verified = try Tools.openssl(["verify", "-CAfile", rootPath, "-untrusted", intermediatePath,
                                          "-purpose", "sslserver", leafPath])
        #expect(verified.standardOutputText.contains("\(leafPath): OK"))
        let text = try Tools.openssl(["x509", "-in", leafPath, "-noout", "-text"]).standardOutputText
        #expect(text.contains("CA:FALSE") && text.contains("TLS Web Server Authentication"))
        #expect(text.contains("DNS:www.example.test, IP Address:127.0.0.1"))
        #expect(text.contains("Signature Algorithm: ecdsa-with-SHA256"))  // signed by the EC intermediate
        #expect(hierarchy.leaf.keyAlgorithm == "RSA-2048")
        let intermediateText = try Tools.openssl(["x509", "-in", intermediatePath, "-noout", "-text"]).standardOutputText
        #expect(intermediateText.contains("CA:TRUE, pathlen:0"))
    }

    @Test func signingOverridesSANsAndDrawsRandomSerials() throws {
        let root = try CertificateAuthority.makeRoot(subject: CertificateSubject(commonName: "Serial Root"))
        let key = try PrivateKey.generate(.ecdsa(curve: .p256))
        let request = try CertificateSigningRequest.make(key: key, subject: CertificateSubject(commonName: "a.test"),
                                                         sans: [.dns("a.test")])
        let first = try root.sign(request)
        let second = try root.sign(request, sans: [.dns("b.test"), .ipAddress("::1")])
        #expect(first.dnsNames == ["a.test"])
        #expect(second.subjectAlternativeNames == [.dns("b.test"), .ipAddress("::1")])
        #expect(first.serialHex != second.serialHex)
        #expect(first.serialHex.count >= 30)
        #expect(first.issuer == "CN=Serial Root")
    }

    @Test func refusesAKeyThatIsNotTheCertificates() throws {
        let root = try CertificateAuthority.makeRoot(subject: CertificateSubject(commonName: "Root"))
        #expect(throws: MaterialError.keyMismatch(certificateSubject: "CN=Root")) {
            try CertificateAuthority(certificate: root.certificate, key: try PrivateKey.generate(.ecdsa(curve: .p256)))
        }
    }
}
