import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Certificates with versions, through the real binary: `cert request` for an
/// existing name adds a pending version (a new key, or the current one with
/// `--reuse-key`), `cert import` moves the name to it, older versions stay by
/// ID; `cert list` shows the current versions, days left, `--expiring`, `--sort`.
@Suite struct CertVersionTests {
    let fixture: GatewayFixture
    let authority: CertTestAuthority
    let work: TemporaryDirectory

    init() throws {
        fixture = try GatewayFixture(plugins: ["hello-c"])
        authority = try CertTestAuthority()
        work = try TemporaryDirectory("og-cert-versions")
        let added = try fixture.run(["ca", "add", authority.rootPath])
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
    }

    /// Signs and imports the request `id` (or name) made; returns the leaf's path.
    @discardableResult
    func issue(_ reference: String, csrPath: String, days: Int = 10,
               sourceLocation: SourceLocation = #_sourceLocation) throws -> (leaf: String, output: String) {
        let leaf = try authority.signCopyingSANs(csrPath: csrPath, days: days)
        let imported = try fixture.run(["cert", "import", reference, "--cert", leaf, "--chain", authority.intermediatePath])
        try #require(imported.exitStatus == 0, "cert import \(reference): \(imported.standardErrorText)", sourceLocation: sourceLocation)
        return (leaf, imported.standardOutputText)
    }

    func publicKey(ofRequest csrPath: String) throws -> String {
        try authority.openssl(["req", "-in", csrPath, "-pubkey", "-noout"])
    }

    func versions(_ details: [String: Any]) -> [(id: String, version: Int, current: Bool)] {
        ((details["versions"] as? [[String: Any]]) ?? []).map {
            ($0["id"] as? String ?? "", $0["version"] as? Int ?? 0, $0["current"] as? Bool ?? false)
        }
    }

    @Test func requestAndImportTwiceMovesTheNameAndKeepsEveryVersionByID() throws {
        let (first, firstCSR) = try fixture.requestCertificate(["--name", "web", "--key", "ec-p256", "--cn", "www.example.com",
                                                                "--o", "Example Ltd", "--san-dns", "api.example.com"], in: work)
        let (firstLeaf, _) = try issue("web", csrPath: firstCSR)

        // A second request for the name: a pending version 2 with a new key and, unasked, the same subject and SANs.
        let requested = try fixture.run(["cert", "request", "--name", "web"])
        try #require(requested.exitStatus == 0, "\(requested.standardErrorText)")
        #expect(requested.standardErrorText.contains("for version 2 of 'web'"), "\(requested.standardErrorText)")
        let second = try #require(requested.standardErrorText.split(separator: "\n")
            .first { $0.hasPrefix("Certificate ID: ") }.map { String($0.dropFirst("Certificate ID: ".count)) })
        let secondCSR = work.file("second.csr")
        try LocalFiles.writeAtomically(secondCSR, contents: requested.standardOutput)
        let subject = try authority.openssl(["req", "-in", secondCSR, "-noout", "-subject"])
        #expect(subject.contains("O = Example Ltd, CN = www.example.com"), "\(subject)")
        #expect(try authority.openssl(["req", "-in", secondCSR, "-noout", "-text"]).contains("DNS:api.example.com"))
        #expect(try publicKey(ofRequest: secondCSR) != (try publicKey(ofRequest: firstCSR)), "a new version gets a new key")
        // Pending: the name still means version 1, which an install would use.
        #expect(try fixture.certificateDetails("web")["id"] as? String == first)
        #expect(try fixture.certificateList().map { $0["id"] as? String } == [first])

        let (secondLeaf, importOutput) = try issue("web", csrPath: secondCSR)
        #expect(importOutput.contains("version 2"), "\(importOutput)")
        #expect(importOutput.contains("It is now the current version; the previous one stays as \(first)"), "\(importOutput)")
        let details = try fixture.certificateDetails("web")
        #expect(details["id"] as? String == second)
        #expect(details["version"] as? Int == 2)
        #expect(versions(details).map(\.id) == [second, first])
        #expect(versions(details).map(\.current) == [true, false])
        // The old version is still there by ID, with its own certificate.
        let old = try fixture.certificateDetails(first)
        #expect(old["name"] == nil && old["lineage"] as? String == "web" && old["version"] as? Int == 1)
        #expect(try fixture.run(["cert", "show", first, "--pem"]).standardOutput.starts(with: try LocalFiles.read(firstLeaf)))
        #expect(try fixture.run(["cert", "show", "web", "--pem"]).standardOutput.starts(with: try LocalFiles.read(secondLeaf)))
        let text = try fixture.run(["cert", "show", "web"]).standardOutputText
        #expect(text.contains("version 1: \(first) issued") && text.contains("version 2: \(second) issued"), "\(text)")
        #expect(text.contains("(current)"))

        // --reuse-key: the new version's CSR carries the current version's public key.
        let (third, thirdCSR) = try fixture.requestCertificate(["--name", "web", "--reuse-key"], in: work)
        #expect(try publicKey(ofRequest: thirdCSR) == (try publicKey(ofRequest: secondCSR)))
        try issue("web", csrPath: thirdCSR)
        #expect(try fixture.certificateDetails("web")["id"] as? String == third)
        let listed = try fixture.certificateList()
        #expect(listed.map { $0["id"] as? String } == [third], "cert list shows the current version only")
        #expect(listed.first?["version"] as? Int == 3)
        #expect((9...10).contains(listed.first?["days_left"] as? Int ?? -1), "\(listed)")
        #expect(try fixture.auditTrail().contains { $0.action == "cert.request" && $0.detail.contains("key reused from \(second)") })
    }

    @Test func aCertificateBroughtWithItsKeyUnderATakenNameBecomesItsNewestVersion() throws {
        let (first, firstCSR) = try fixture.requestCertificate(["--name", "web", "--key", "ec-p256", "--cn", "www.example.com"],
                                                               in: work)
        try issue("web", csrPath: firstCSR)
        let external = try authority.externalKeyAndRequest(commonName: "www.example.com")
        let leaf = try authority.signCopyingSANs(csrPath: external.csr)
        let imported = try fixture.run(["cert", "import", "--cert", leaf, "--key", external.key, "--name", "web",
                                        "--chain", authority.intermediatePath])
        try #require(imported.exitStatus == 0, "\(imported.standardErrorText)")
        #expect(imported.standardOutputText.contains("the previous one stays as \(first)"), "\(imported.standardOutputText)")
        let details = try fixture.certificateDetails("web")
        #expect(details["version"] as? Int == 2)
        #expect(details["origin"] as? String == "imported")
    }

    @Test func reusingAKeyNeedsAnExistingNameAndItsKeyType() throws {
        let nothing = try fixture.run(["cert", "request", "--name", "new", "--reuse-key", "--key", "ec-p256", "--cn", "a.example"])
        #expect(nothing.exitStatus == 2)
        #expect(nothing.standardErrorText.contains("--reuse-key"), "\(nothing.standardErrorText)")
        let unnamed = try fixture.run(["cert", "request", "--reuse-key", "--key", "ec-p256", "--cn", "a.example"])
        #expect(unnamed.exitStatus == 2 && unnamed.standardErrorText.contains("--reuse-key"))

        try fixture.requestCertificate(["--name", "web", "--key", "ec-p256", "--cn", "www.example.com"], in: work)
        let otherType = try fixture.run(["cert", "request", "--name", "web", "--reuse-key", "--key", "rsa2048"])
        #expect(otherType.exitStatus == 2)
        #expect(otherType.standardErrorText.contains("--key"), "\(otherType.standardErrorText)")
        #expect(try fixture.certificateList().count == 1, "nothing was added")
        #expect(try fixture.certificateDetails("web")["versions"] as? [Any] != nil)
    }

    @Test func importingACertificateForNoVersionsKeySaysHowToRenew() throws {
        let (_, csr) = try fixture.requestCertificate(["--name", "web", "--key", "ec-p256", "--cn", "www.example.com"], in: work)
        try issue("web", csrPath: csr)
        let external = try authority.externalKeyAndRequest(commonName: "www.example.com")
        let stranger = try authority.signCopyingSANs(csrPath: external.csr)
        let refused = try fixture.run(["cert", "import", "web", "--cert", stranger, "--chain", authority.intermediatePath])
        #expect(refused.exitStatus == 2)
        #expect(refused.standardErrorText.contains("is not for the private key of certificate 'web'"), "\(refused.standardErrorText)")
        // The same key, certified again, is a new version only through cert request --reuse-key.
        let again = try authority.signCopyingSANs(csrPath: csr)
        let reissued = try fixture.run(["cert", "import", "web", "--cert", again, "--chain", authority.intermediatePath])
        #expect(reissued.exitStatus == 2)
        #expect(reissued.standardErrorText.contains("cert request --name web (add --reuse-key to keep the key)"),
                "\(reissued.standardErrorText)")
    }

    @Test func listFiltersExpiringCertificatesAndSortsByExpiry() throws {
        for (name, days) in [("later", 15), ("soon", 3)] {
            let (_, csr) = try fixture.requestCertificate(["--name", name, "--key", "ec-p256", "--cn", "\(name).example.com"],
                                                          in: work)
            try issue(name, csrPath: csr, days: days)
        }
        try fixture.requestCertificate(["--name", "waiting", "--key", "ec-p256", "--cn", "waiting.example.com"], in: work)

        func names(_ arguments: [String]) throws -> [String] {
            let result = try fixture.run(["cert", "list", "--output", "json"] + arguments)
            try #require(result.exitStatus == 0, "\(result.standardErrorText)")
            let list = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [[String: Any]])
            return list.compactMap { $0["name"] as? String }
        }
        #expect(try names([]) == ["later", "soon", "waiting"])
        #expect(try names(["--sort", "expiry"]) == ["soon", "later", "waiting"], "pending ones last")
        #expect(try names(["--expiring", "7"]) == ["soon"])
        #expect(try names(["--expiring", "30", "--sort", "expiry"]) == ["soon", "later"])
        let none = try fixture.run(["cert", "list", "--expiring", "1"])
        #expect(none.standardOutputText.contains("No certificate expires within 1 days"))
        let table = try fixture.run(["cert", "list", "--sort", "expiry"]).standardOutputText
        #expect(table.contains("DAYS") && table.contains("DEPLOYED"), "\(table)")
        for bad in [["--expiring", "-1"], ["--expiring", "4000"], ["--sort", "size"]] {
            let refused = try fixture.run(["cert", "list"] + bad)
            #expect(refused.exitStatus == 2)
            #expect(refused.standardErrorText.contains(bad[0]), "\(refused.standardErrorText)")
        }
    }
}

extension CertTestAuthority {
    /// Signs the CSR with the intermediate for `days` days, keeping the
    /// subjectAltNames it asks for (as a CA issuing for a web server does).
    func signCopyingSANs(csrPath: String, days: Int = 10) throws -> String {
        let out = directory.file("leaf-\(UUID().uuidString.prefix(8)).pem")
        try openssl(["x509", "-req", "-in", csrPath, "-CA", intermediatePath, "-CAkey", directory.file("intermediate.key"),
                     "-set_serial", "0x" + String(UInt64.random(in: (1 << 60)...UInt64.max), radix: 16),
                     "-days", String(days), "-copy_extensions", "copy", "-extfile", directory.file("leaf.ext"), "-out", out])
        return out
    }
}
