import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `og-host credstore rotate-master-key` with the real binary: every secret
/// still resolves afterwards, the key file changed, and no secret shows up.
@Suite struct CredstoreRotationTests {
    @Test func rotationKeepsEveryCredentialAndVaultKeyReadable() throws {
        let fixture = try GatewayFixture(plugins: ["hello-c"])
        let secret = "rotate-me-\(UInt32.random(in: 0...UInt32.max))"
        let added = try fixture.run(["credstore", "credentials", "add", "--storename", "default", "--id", "web-login",
                                     "--username", "deploy", "--password", "env:ROTATE_SECRET"],
                                    extraEnvironment: ["ROTATE_SECRET": secret])
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        let request = try fixture.run(["cert", "request", "--name", "rot", "--key", "ec-p256", "--cn", "rot.example.test",
                                       "--out", fixture.root.file("rot.csr")])
        try #require(request.exitStatus == 0, "\(request.standardErrorText)")
        let keyFile = fixture.dataDirectory + "/credentials/master.key"
        let before = try LocalFiles.read(keyFile)

        let rotated = try fixture.run(["credstore", "rotate-master-key"])
        #expect(rotated.exitStatus == 0, "\(rotated.standardErrorText)")
        #expect(rotated.standardOutputText.contains("Master key rotated"))
        #expect(try LocalFiles.read(keyFile) != before, "a new master key is in place")

        let shown = try fixture.run(["credstore", "credentials", "get", "--storename", "default", "--id", "web-login",
                                     "--show-secret"])
        #expect(shown.exitStatus == 0, "\(shown.standardErrorText)")
        #expect(shown.standardOutputText.contains(secret), "the credential opens under the new key")
        // The certificate vault's key is sealed in the default store, so the CSR's key still opens: show works.
        let certificate = try fixture.run(["cert", "show", "rot"])
        #expect(certificate.exitStatus == 0, "\(certificate.standardErrorText)")
        let audit = try fixture.run(["audit", "--action", "credstore.rotate-master-key", "--output", "json"])
        #expect(audit.standardOutputText.contains("\"outcome\" : \"success\""))
        #expect(!rotated.standardOutputText.contains(secret) && !audit.standardOutputText.contains(secret))
    }
}
