import Foundation
import OGTestSupport
import Testing

/// Where every renewal test starts: a real nginx (endpoint `web`) serving
/// beta.example.test, a real Pebble issuing 90-second certificates without
/// reusing authorizations (so each renewal is validated again), and `site`
/// issued over http-01 through nginx's webroot, installed and bound there.
struct PebbleRenewalSite {
    let nginx: NginxTestInstance
    let pebble: PebbleServer
    /// SHA-256 of the first version of `site`, which nginx serves.
    let firstFingerprint: String

    /// Starts both servers; the caller stops nginx (`defer { site.nginx.stop() }`).
    init(fixture: GatewayFixture) throws {
        nginx = try NginxTestInstance(pki: try TestPKI())
        try nginx.start()
        pebble = try PebbleServer(httpPort: nginx.httpPort, requireEAB: false,
                                  environment: ["PEBBLE_VA_NOSLEEP": "1", "PEBBLE_AUTHZREUSE": "0"], certificateValidity: 90)
        for arguments in [
            ["tls", "add", "nginx", "--name", "web"] + nginx.localOptions,
            ["issuer", "add", "acme", "--name", "pebble", "--directory", pebble.directoryURL, "--ca-bundle", pebble.caBundle,
             "--agree-tos"],
            ["ca", "add", try pebble.rootFile(), "--name", "pebble-root"],
            ["cert", "issue", "site", "--issuer", "pebble", "--cn", "beta.example.test", "--challenge", "http-01",
             "--challenge-endpoint", "web", "--webroot", nginx.directory.file("www")],
            ["tls", "install", "web", "--cert-id", "site"],
        ] {
            let result = try fixture.run(arguments)
            try #require(result.exitStatus == 0, "\(arguments.prefix(3)): \(result.standardErrorText)\n\(pebble.log.suffix(2_000))")
        }
        firstFingerprint = try #require(try fixture.certificateDetails("site")["fingerprint"] as? String)
    }
}
