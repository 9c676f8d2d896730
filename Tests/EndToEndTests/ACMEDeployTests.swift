import Foundation
import OGBasics
import OGTestSupport
import Testing

/// End to end: one certificate issued by a real Pebble (RSA account key, so
/// RS256 JWS; RSA certificate key) for a name on a real nginx and a name on a
/// real apache2, then installed on both and verified by what each serves.
@Suite(.serialized) final class ACMEDeployTests {
    @Test func issuedCertificateIsInstalledOnNginxAndApacheAndServedByBoth() throws {
        let fixture = try GatewayFixture(plugins: ["nginx", "apache"])
        let pki = try TestPKI()
        let nginx = try NginxTestInstance(pki: pki)
        let work = try TemporaryDirectory("og-acme-apache")
        let apache = try ApacheInstance(in: work.path, ownedBy: work, pki: pki)
        try nginx.start()
        try apache.start()
        defer { apache.stop(); nginx.stop() }
        let pebble = try PebbleServer(httpPort: nginx.httpPort, requireEAB: false)

        for arguments in [
            ["tls", "add", "nginx", "--name", "web"] + nginx.localOptions,
            ["tls", "add", "apache", "--name", "site", "--connection_type", "local"] + apache.addOptions(),
            ["issuer", "add", "acme", "--name", "pebble", "--directory", pebble.directoryURL, "--ca-bundle", pebble.caBundle,
             "--agree-tos", "--account-key", "rsa2048"],
        ] {
            let result = try fixture.run(arguments)
            try #require(result.exitStatus == 0, "\(arguments.prefix(3)): \(result.standardErrorText)")
        }
        // Both names answer http-01 from nginx's default server (challtestsrv resolves them to 127.0.0.1).
        let issued = try fixture.run(["cert", "issue", "both", "--issuer", "pebble", "--cn", "beta.example.test",
                                      "--san-dns", "shop.example.test", "--key", "rsa2048", "--challenge", "http-01",
                                      "--challenge-endpoint", "web", "--webroot", nginx.directory.file("www")])
        try #require(issued.exitStatus == 0, "cert issue: \(issued.standardErrorText)\n\(pebble.log)")
        let shown = try fixture.run(["cert", "show", "both", "--output", "json"])
        let details = try #require(try JSONSerialization.jsonObject(with: Data(shown.standardOutput)) as? [String: Any])
        let fingerprint = try #require(details["fingerprint"] as? String)
        #expect(details["key_spec"] as? String == "rsa2048")

        let anchored = try fixture.run(["ca", "add", try pebble.rootFile(), "--name", "pebble-root"])
        try #require(anchored.exitStatus == 0, "ca add: \(anchored.standardErrorText)")
        for endpoint in ["web", "site"] {
            let installed = try fixture.run(["tls", "install", endpoint, "--cert-id", "both"])
            try #require(installed.exitStatus == 0, "tls install \(endpoint): \(installed.standardErrorText)")
        }
        #expect(try nginx.servedFingerprint("beta.example.test") == fingerprint)
        #expect(try apache.servedFingerprint("shop.example.test") == fingerprint)
    }
}
