import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `og-host cert request` and the issued-certificate `cert import`, run as the
/// real binary against a CA made with the openssl CLI; `list` and `show`
/// checked against what openssl reads from the same files.
@Suite struct CertRequestTests {
    let fixture: GatewayFixture
    let authority: CertTestAuthority
    let work: TemporaryDirectory

    init() throws {
        fixture = try GatewayFixture(plugins: ["hello-c"])
        authority = try CertTestAuthority()
        work = try TemporaryDirectory("og-cert-work")
    }

    @Test func requestPrintsACSRThatOpenSSLVerifiesWithTheGivenSubjectAndSANs() throws {
        let (id, csrPath) = try fixture.requestCertificate(
            ["--name", "web", "--key", "ec-p256", "--cn", "www.example.com", "--o", "Example Ltd", "--ou", "Web",
             "--l", "Berlin", "--st", "Berlin", "--c", "de", "--email", "pki@example.com",
             "--san-dns", "api.example.com", "--san-ip", "192.0.2.10"], in: work)
        #expect(UUID(uuidString: id) != nil)

        let verified = try ProcessRunner.run("openssl", ["req", "-in", csrPath, "-verify", "-noout"])
        #expect(verified.exitStatus == 0, "openssl req -verify: \(verified.standardErrorText)")
        let text = try authority.openssl(["req", "-in", csrPath, "-noout", "-text"])
        #expect(text.contains("C = DE, ST = Berlin, L = Berlin, O = Example Ltd, OU = Web, CN = www.example.com"), "\(text)")
        #expect(text.contains("DNS:www.example.com, DNS:api.example.com, IP Address:192.0.2.10"), "the CN leads the SANs: \(text)")
        #expect(text.contains("ASN1 OID: prime256v1"))

        let listed = try #require(try fixture.certificateList().first)
        #expect(listed["id"] as? String == id)
        #expect(listed["name"] as? String == "web")
        #expect(listed["status"] as? String == "pending")
        #expect(listed["key_spec"] as? String == "ec-p256")
        #expect(listed["subject_alternative_names"] as? [String] == ["DNS:www.example.com", "DNS:api.example.com", "IP:192.0.2.10"])

        let shownPEM = try fixture.run(["cert", "show", "web", "--pem"])
        #expect(shownPEM.standardOutput == (try LocalFiles.read(csrPath)), "show --pem gives the pending request's CSR")
        #expect(try fixture.auditTrail().contains { $0.action == "cert.request" && $0.subject == "web" && $0.outcome == "success" })
    }

    @Test func requestWritesTheCSRToOutWithTheChosenRSASize() throws {
        let out = work.file("request.csr")
        let result = try fixture.run(["cert", "request", "--name", "rsa", "--key", "rsa3072", "--cn", "rsa.example.com",
                                      "--out", out])
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
        #expect(result.standardOutputText.contains("CSR written to \(out)"))
        #expect(result.standardOutputText.contains("Certificate ID: "))
        #expect(!result.standardOutputText.contains("BEGIN"), "the CSR went to the file, not standard output")
        let text = try authority.openssl(["req", "-in", out, "-verify", "-noout", "-text"])
        #expect(text.contains("Public-Key: (3072 bit)"))
    }

    @Test func signedCertificateIsImportedWithItsChainAndListedAsOpenSSLSeesIt() throws {
        let (id, csrPath) = try fixture.requestCertificate(["--name", "web", "--key", "rsa2048", "--cn", "www.example.com"],
                                                           in: work)
        let leafPath = try authority.sign(csrPath: csrPath)
        let added = try fixture.run(["ca", "add", authority.rootPath])
        #expect(added.exitStatus == 0, "\(added.standardErrorText)")

        let imported = try fixture.run(["cert", "import", id, "--cert", leafPath, "--chain", authority.intermediatePath])
        #expect(imported.exitStatus == 0, "\(imported.standardErrorText)")
        #expect(imported.standardOutputText.contains("Chain ends at: CN=\(authority.rootName)"))

        let serial = try authority.openssl(["x509", "-in", leafPath, "-noout", "-serial"])
            .trimmingCharacters(in: .whitespacesAndNewlines).dropFirst("serial=".count).lowercased()
        let fingerprint = try authority.openssl(["x509", "-in", leafPath, "-noout", "-fingerprint", "-sha256"])
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "=")[1].replacingOccurrences(of: ":", with: "").lowercased()
        let listed = try #require(try fixture.certificateList().first)
        #expect(listed["status"] as? String == "issued")
        #expect(listed["serial"] as? String == String(serial.drop { $0 == "0" }))
        #expect(listed["fingerprint"] as? String == fingerprint)
        #expect(listed["common_name"] as? String == "www.example.com")
        #expect((listed["not_after"] as? String)?.isEmpty == false)

        let details = try fixture.certificateDetails("web")
        #expect(details["issuer"] as? String == "CN=\(authority.intermediateName)")
        #expect(details["chain"] as? [String] == ["CN=\(authority.intermediateName)"], "the anchor is not stored as chain")
        let pem = try fixture.run(["cert", "show", id, "--pem"]).standardOutputText
        let expected = String(decoding: try LocalFiles.read(leafPath) + (try LocalFiles.read(authority.intermediatePath)),
                              as: UTF8.self)
        #expect(pem == expected, "show --pem is the leaf then the chain")

        let table = try fixture.run(["cert", "list"]).standardOutputText
        #expect(table.contains("web") && table.contains("issued") && table.contains(String(fingerprint.prefix(16))))
        let text = try fixture.run(["cert", "show", "web"]).standardOutputText
        #expect(text.contains("status: issued") && text.contains("sha256: \(fingerprint)"))
        #expect(try fixture.auditTrail().contains { $0.action == "cert.import" && $0.outcome == "success" && $0.detail.contains(fingerprint) })
    }

    @Test func chainInAnyOrderEndingAtASuppliedRootIsStoredLeafToRoot() throws {
        let (id, csrPath) = try fixture.requestCertificate(["--key", "ec-p384", "--cn", "ordered.example.com"], in: work)
        let leafPath = try authority.sign(csrPath: csrPath)
        let chainPath = work.file("root-first.pem")
        try LocalFiles.writeAtomically(chainPath, contents: try LocalFiles.read(authority.rootPath)
                                       + (try LocalFiles.read(authority.intermediatePath)))

        let imported = try fixture.run(["cert", "import", id, "--cert", leafPath, "--chain", chainPath])
        #expect(imported.exitStatus == 0, "no trust anchor is needed when the root comes with the chain: \(imported.standardErrorText)")
        let details = try fixture.certificateDetails(id)
        #expect(details["chain"] as? [String] == ["CN=\(authority.intermediateName)", "CN=\(authority.rootName)"])
    }

    @Test func fullchainFileCarriesTheIntermediateAfterTheLeaf() throws {
        let (id, csrPath) = try fixture.requestCertificate(["--key", "ec-p256", "--cn", "full.example.com"], in: work)
        let leafPath = try authority.sign(csrPath: csrPath)
        let fullchain = work.file("fullchain.pem")
        try LocalFiles.writeAtomically(fullchain, contents: try LocalFiles.read(leafPath) + (try LocalFiles.read(authority.intermediatePath)))
        _ = try fixture.run(["ca", "add", authority.rootPath])

        let imported = try fixture.run(["cert", "import", id, "--cert", fullchain])
        #expect(imported.exitStatus == 0, "\(imported.standardErrorText)")
        #expect(try fixture.certificateDetails(id)["chain"] as? [String] == ["CN=\(authority.intermediateName)"])
    }

    @Test func certificateForAnotherKeyIsRefusedAndTheRequestStaysPending() throws {
        let first = try fixture.requestCertificate(["--name", "first", "--key", "ec-p256", "--cn", "first.example.com"], in: work)
        let second = try fixture.requestCertificate(["--name", "second", "--key", "ec-p256", "--cn", "second.example.com"], in: work)
        let secondLeaf = try authority.sign(csrPath: second.csrPath)
        _ = try fixture.run(["ca", "add", authority.rootPath])

        let refused = try fixture.run(["cert", "import", "first", "--cert", secondLeaf, "--chain", authority.intermediatePath])
        #expect(refused.exitStatus == 2)
        #expect(refused.standardErrorText.contains("--cert: \(secondLeaf): the certificate (CN=second.example.com"))
        #expect(refused.standardErrorText.contains("is not for the private key of certificate 'first' (\(first.id))"))
        #expect(try fixture.certificateDetails("first")["status"] as? String == "pending")
        #expect(try fixture.auditTrail().contains { $0.action == "cert.import" && $0.subject == "first" && $0.outcome == "failure" })
    }

    @Test func incompleteChainIsRefusedNamingTheMissingIssuer() throws {
        let (id, csrPath) = try fixture.requestCertificate(["--key", "ec-p256", "--cn", "gap.example.com"], in: work)
        let leafPath = try authority.sign(csrPath: csrPath)
        _ = try fixture.run(["ca", "add", authority.rootPath])

        let refused = try fixture.run(["cert", "import", id, "--cert", leafPath])
        #expect(refused.exitStatus == 2)
        #expect(refused.standardErrorText.contains("chain incomplete: no issuer for 'CN=gap.example.com'"), "\(refused.standardErrorText)")
        #expect(refused.standardErrorText.contains("add the certificate of 'CN=\(authority.intermediateName)'"))
        #expect(try fixture.certificateDetails(id)["status"] as? String == "pending")
    }

    @Test func chainEndingAtAnUntrustedRootIsRefused() throws {
        let (id, csrPath) = try fixture.requestCertificate(["--key", "ec-p256", "--cn", "untrusted.example.com"], in: work)
        let leafPath = try authority.sign(csrPath: csrPath)

        let refused = try fixture.run(["cert", "import", id, "--cert", leafPath, "--chain", authority.intermediatePath])
        #expect(refused.exitStatus == 2)
        #expect(refused.standardErrorText.contains("add the certificate of 'CN=\(authority.rootName)'"), "\(refused.standardErrorText)")
        #expect(refused.standardErrorText.contains("og-host ca add"))
    }

    @Test func expiredCertificateIsRefused() throws {
        let (id, csrPath) = try fixture.requestCertificate(["--key", "ec-p256", "--cn", "old.example.com"], in: work)
        let expired = try authority.signExpired(csrPath: csrPath)
        _ = try fixture.run(["ca", "add", authority.rootPath])

        let refused = try fixture.run(["cert", "import", id, "--cert", expired, "--chain", authority.intermediatePath])
        #expect(refused.exitStatus == 2)
        #expect(refused.standardErrorText.contains("certificate expired on 2020-02-01 (CN=old.example.com)"), "\(refused.standardErrorText)")
        #expect(try fixture.certificateDetails(id)["status"] as? String == "pending")
    }

    @Test func anotherCertificateForAnIssuedRequestIsRefused() throws {
        let (id, csrPath) = try fixture.requestCertificate(["--key", "ec-p256", "--cn", "once.example.com"], in: work)
        _ = try fixture.run(["ca", "add", authority.rootPath])
        let first = try authority.sign(csrPath: csrPath)
        let again = try authority.sign(csrPath: csrPath)
        #expect(try fixture.run(["cert", "import", id, "--cert", first, "--chain", authority.intermediatePath]).exitStatus == 0)
        #expect(try fixture.run(["cert", "import", id, "--cert", first, "--chain", authority.intermediatePath]).exitStatus == 0,
                "importing the same certificate again is harmless")

        let refused = try fixture.run(["cert", "import", id, "--cert", again, "--chain", authority.intermediatePath])
        #expect(refused.exitStatus == 2)
        #expect(refused.standardErrorText.contains("already has certificate serial"), "\(refused.standardErrorText)")
    }

    @Test func removeDestroysTheKeyAndTheRecord() throws {
        let (id, _) = try fixture.requestCertificate(["--name", "gone", "--key", "ec-p256", "--cn", "gone.example.com"], in: work)
        let keyPath = "\(fixture.dataDirectory)/keys/\(id).key"
        #expect(FileManager.default.fileExists(atPath: keyPath))

        let removed = try fixture.run(["cert", "remove", "gone"])
        #expect(removed.exitStatus == 0, "\(removed.standardErrorText)")
        #expect(!FileManager.default.fileExists(atPath: keyPath))
        #expect(try fixture.certificateList().isEmpty)
        #expect(try fixture.auditTrail().contains { $0.action == "cert.remove" && $0.subject == "gone" && $0.outcome == "success" })

        let again = try fixture.run(["cert", "remove", "gone"])
        #expect(again.exitStatus == 3, "not found")
        #expect(again.standardErrorText.contains("certificate 'gone': no managed certificate has this ID or name"))
    }
}
