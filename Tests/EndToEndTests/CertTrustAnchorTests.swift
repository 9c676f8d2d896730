import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `og-host ca add/list/remove`: the trust anchors chains are validated against.
@Suite struct CertTrustAnchorTests {
    let fixture: GatewayFixture
    let authority: CertTestAuthority

    init() throws {
        fixture = try GatewayFixture(plugins: ["hello-c"])
        authority = try CertTestAuthority()
    }

    func anchors() throws -> [[String: Any]] {
        let result = try fixture.run(["ca", "list", "--output", "json"])
        try #require(result.exitStatus == 0, "\(result.standardErrorText)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [[String: Any]])
    }

    var rootFingerprint: String {
        get throws {
            try authority.openssl(["x509", "-in", authority.rootPath, "-noout", "-fingerprint", "-sha256"])
                .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "=")[1].description
        }
    }

    @Test func addedAnchorIsListedByItsCommonNameAndRemovedByFingerprint() throws {
        let added = try fixture.run(["ca", "add", authority.rootPath])
        #expect(added.exitStatus == 0, "\(added.standardErrorText)")
        #expect(added.standardOutputText.contains("Trust anchor '\(authority.rootName)' added"))

        let fingerprint = try rootFingerprint
        let listed = try anchors()
        #expect(listed.count == 1)
        #expect(listed.first?["name"] as? String == authority.rootName)
        #expect(listed.first?["subject"] as? String == "CN=\(authority.rootName)")
        #expect(listed.first?["fingerprint"] as? String == fingerprint.replacingOccurrences(of: ":", with: "").lowercased())
        #expect(listed.first?["pem"] == nil, "the list leaves the PEM out")
        let table = try fixture.run(["ca", "list"]).standardOutputText
        #expect(table.contains(authority.rootName) && table.contains("NOT AFTER"))

        let removed = try fixture.run(["ca", "remove", fingerprint])
        #expect(removed.exitStatus == 0, "a fingerprint as openssl prints it, colons and all: \(removed.standardErrorText)")
        #expect(try anchors().isEmpty)
        let audit = try fixture.auditTrail()
        #expect(audit.contains { $0.action == "ca.add" && $0.subject == authority.rootName && $0.outcome == "success" })
        #expect(audit.contains { $0.action == "ca.remove" && $0.subject == authority.rootName && $0.outcome == "success" })
    }

    @Test func anchorIsNamedAndRemovedByName() throws {
        #expect(try fixture.run(["ca", "add", authority.intermediatePath, "--name", "issuing"]).exitStatus == 0)
        #expect(try anchors().first?["name"] as? String == "issuing")
        #expect(try fixture.run(["ca", "remove", "issuing"]).exitStatus == 0)
        #expect(try anchors().isEmpty)
    }

    @Test func bundleFileAddsEveryCertificate() throws {
        let bundle = authority.directory.file("bundle.pem")
        try LocalFiles.writeAtomically(bundle, contents: try LocalFiles.read(authority.rootPath) + (try LocalFiles.read(authority.intermediatePath)))
        let added = try fixture.run(["ca", "add", bundle])
        #expect(added.exitStatus == 0, "\(added.standardErrorText)")
        #expect(try anchors().compactMap { $0["name"] as? String }.sorted() == [authority.intermediateName, authority.rootName].sorted())

        let named = try fixture.run(["ca", "add", bundle, "--name", "both"])
        #expect(named.exitStatus == 2)
        #expect(named.standardErrorText.contains("--name: \(bundle) holds 2 certificates"))
    }

    @Test func sameAnchorTwiceAndATakenNameAreRefused() throws {
        #expect(try fixture.run(["ca", "add", authority.rootPath, "--name", "root"]).exitStatus == 0)

        let twice = try fixture.run(["ca", "add", authority.rootPath])
        #expect(twice.exitStatus == 4, "conflict")
        #expect(twice.standardErrorText.contains("is already a trust anchor, named 'root'"))

        let taken = try fixture.run(["ca", "add", authority.intermediatePath, "--name", "root"])
        #expect(taken.exitStatus == 4, "conflict")
        #expect(taken.standardErrorText.contains("--name: 'root' (for CN=\(authority.intermediateName)) is already another trust anchor's name"))
        #expect(try anchors().count == 1)
    }

    @Test func leafCertificateIsNotAcceptedAsAnAnchor() throws {
        let work = try TemporaryDirectory("og-cert-work")
        let (_, csrPath) = try fixture.requestCertificate(["--key", "ec-p256", "--cn", "leaf.example.com"], in: work)
        let leaf = try authority.sign(csrPath: csrPath)

        let refused = try fixture.run(["ca", "add", leaf])
        #expect(refused.exitStatus == 2)
        #expect(refused.standardErrorText.contains("CN=leaf.example.com is not a CA certificate"))
    }

    @Test func unknownAnchorAndUnreadableFileAreRefused() throws {
        let unknown = try fixture.run(["ca", "remove", "nobody"])
        #expect(unknown.exitStatus == 3, "not found")
        #expect(unknown.standardErrorText.contains("trust anchor 'nobody': no trust anchor has this name or SHA-256 fingerprint"))

        let missing = authority.directory.file("missing.pem")
        let unreadable = try fixture.run(["ca", "add", missing])
        #expect(unreadable.exitStatus == 2)
        #expect(unreadable.standardErrorText.contains("\(missing): read failed"))

        let notPEM = authority.directory.file("not.pem")
        try LocalFiles.writeAtomically(notPEM, contents: Array("hello\n".utf8))
        let garbage = try fixture.run(["ca", "add", notPEM])
        #expect(garbage.exitStatus == 2)
        #expect(garbage.standardErrorText.contains("no PEM 'CERTIFICATE' block found"))
    }

    @Test func removedAnchorNoLongerValidatesImports() throws {
        let work = try TemporaryDirectory("og-cert-work")
        let (id, csrPath) = try fixture.requestCertificate(["--key", "ec-p256", "--cn", "after.example.com"], in: work)
        let leaf = try authority.sign(csrPath: csrPath)
        #expect(try fixture.run(["ca", "add", authority.rootPath]).exitStatus == 0)
        #expect(try fixture.run(["ca", "remove", authority.rootName]).exitStatus == 0)

        let refused = try fixture.run(["cert", "import", id, "--cert", leaf, "--chain", authority.intermediatePath])
        #expect(refused.exitStatus == 2)
        #expect(refused.standardErrorText.contains("add the certificate of 'CN=\(authority.rootName)'"))
    }
}
