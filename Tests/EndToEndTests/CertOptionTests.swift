import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Bad input to `og-host cert`: each refusal names the option and the fix,
/// exits 2, and leaves the gateway as it was (no data directory when the
/// problem is found before one is needed).
@Suite struct CertOptionTests {
    let fixture: GatewayFixture

    init() throws {
        fixture = try GatewayFixture(plugins: ["hello-c"])
    }

    func expectRefused(_ arguments: [String], exitCode: Int32 = 2, message: String,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try fixture.run(arguments)
        #expect(result.exitStatus == exitCode, "exit \(result.exitStatus): \(result.standardErrorText)", sourceLocation: sourceLocation)
        #expect(result.standardErrorText.contains(message), "stderr was: \(result.standardErrorText)", sourceLocation: sourceLocation)
        #expect(result.standardOutputText.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func requestOptionsAreCheckedBeforeAnythingIsWritten() throws {
        let request = ["cert", "request", "--name", "web"]
        try expectRefused(request + ["--cn", "www.example.com"], message: "--key: is required; choose one of rsa2048, rsa3072, rsa4096, ec-p256, ec-p384")
        try expectRefused(request + ["--key", "rsa1024", "--cn", "www.example.com"], message: "--key: 'rsa1024' is not a key type og-host generates")
        try expectRefused(request + ["--key", "ec-p256"], message: "--cn: is required")
        try expectRefused(request + ["--key", "ec-p256", "--cn", "x", "--c", "USA"], message: "--c: 'USA' must be a two-letter country code")
        try expectRefused(request + ["--key", "ec-p256", "--cn", "x", "--san-dns", "under_score.example.com"],
                          message: "--san-dns: 'under_score.example.com' is not a valid DNS name")
        try expectRefused(request + ["--key", "ec-p256", "--cn", "x", "--san-dns", "*.*.example.com"],
                          message: "--san-dns: '*.*.example.com' is not a valid DNS name: a wildcard must be the whole leftmost label")
        try expectRefused(request + ["--key", "ec-p256", "--cn", "x", "--san-ip", "192.0.2.300"],
                          message: "--san-ip: '192.0.2.300' is not a valid IPv4 or IPv6 address")
        try expectRefused(["cert", "request", "--name", String(repeating: "n", count: 33), "--key", "ec-p256", "--cn", "x"],
                          message: "--name: '\(String(repeating: "n", count: 33))' is 33 characters long; use 1 to 32 characters")
        try expectRefused(request + ["--key", "ec-p256", "--cn", "x", "--out", "/nonexistent-og-dir/x.csr"],
                          message: "--out: /nonexistent-og-dir is not an existing directory")
        #expect(!FileManager.default.fileExists(atPath: fixture.dataDirectory), "nothing was created")
    }

    @Test func subjectFieldsRefusedByTheMaterialLayerNameTheirOption() throws {
        let request = ["cert", "request", "--key", "ec-p256", "--cn", "x.example.com"]
        try expectRefused(request + ["--o", String(repeating: "o", count: 65)], message: "--o: '\(String(repeating: "o", count: 65))' is 65 characters long; the limit is 64")
        try expectRefused(request + ["--email", "not-an-address"], message: "--email: 'not-an-address' is not an ASCII e-mail address")
        try expectRefused(["cert", "request", "--key", "ec-p256", "--cn", String(repeating: "c", count: 65)],
                          message: "--cn: '\(String(repeating: "c", count: 65))' is 65 characters long; the limit is 64")
        #expect(try fixture.certificateList().isEmpty)
        #expect(try fixture.auditTrail().isEmpty, "refused input leaves no audit record")
    }

    /// A name that exists is a lineage: a request for it is a new version,
    /// not a refusal (issue 11), and what only makes sense for a version is
    /// refused naming its option.
    @Test func requestForATakenNameAddsAVersionAndVersionOptionsAreChecked() throws {
        let work = try TemporaryDirectory("og-cert-work")
        _ = try fixture.requestCertificate(["--name", "web", "--key", "ec-p256", "--cn", "www.example.com"], in: work)
        try expectRefused(["cert", "request", "--name", "fresh", "--reuse-key", "--key", "ec-p256", "--cn", "x"],
                          message: "--reuse-key: 'fresh' is not a certificate yet, so there is no key to reuse")
        try expectRefused(["cert", "request", "--name", "web", "--reuse-key", "--key", "rsa2048"],
                          message: "--key: 'rsa2048' differs from the")
        #expect(try fixture.certificateList().count == 1, "refusals add nothing")

        let version = try fixture.run(["cert", "request", "--name", "web"])
        #expect(version.exitStatus == 0, "\(version.standardErrorText)")
        #expect(version.standardErrorText.contains("version 2 of 'web'"), "\(version.standardErrorText)")
        #expect(version.standardOutputText.contains("-----BEGIN CERTIFICATE REQUEST-----"))
        #expect(try fixture.certificateList().count == 1, "one name, listed once")
    }

    @Test func importOptionsAreChecked() throws {
        try expectRefused(["cert", "import", "web"], message: "--cert: is required")
        try expectRefused(["cert", "import", "--cert", "/nonexistent/leaf.pem"],
                          message: "cert import: give the ID or name of the certificate requested with og-host cert request, or --key FILE")
        try expectRefused(["cert", "import", "web", "--cert", "/nonexistent/leaf.pem", "--key", "/nonexistent/key.pem"],
                          message: "give either a pending certificate's ID or name, or --key for a certificate made elsewhere, not both")
        try expectRefused(["cert", "import", "web", "--cert", "/nonexistent/leaf.pem", "--name", "x"],
                          message: "--name: is only used with --key")
        try expectRefused(["cert", "import", "--cert", "/nonexistent/leaf.pem", "--key", "/nonexistent/key.pem"],
                          message: "--key: /nonexistent/key.pem: read failed")
        try expectRefused(["cert", "import", "nosuch", "--cert", "/nonexistent/leaf.pem"],
                          message: "--cert: /nonexistent/leaf.pem: read failed")
        try expectRefused(["cert", "show", "nosuch"], exitCode: 3, message: "certificate 'nosuch': no managed certificate has this ID or name")
    }
}
