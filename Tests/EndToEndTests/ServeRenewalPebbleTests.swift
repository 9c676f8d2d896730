import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The daemon renews and re-deploys without anyone typing: a real Pebble issues
/// 90-second certificates (http-01 through a real nginx's webroot), the
/// certificate is bound to that nginx, and `og-host serve` alone renews it when
/// due, deploys the new version (nginx serves it: openssl s_client) and hands
/// the `renewed` and `deployed` events to a hook.
@Suite(.serialized) final class ServeRenewalPebbleTests {
    @Test func serveRenewsAShortLivedCertificateAndRedeploysItUnattended() throws {
        let fixture = try GatewayFixture(plugins: ["nginx"])
        let site = try PebbleRenewalSite(fixture: fixture)
        let nginx = site.nginx
        defer { nginx.stop() }
        let first = site.firstFingerprint
        #expect(try nginx.servedFingerprint("beta.example.test") == first)

        let hook = fixture.root.file("hook.sh")
        try "#!/bin/sh\ncat >> \(fixture.root.file("events.out"))\n".write(toFile: hook, atomically: true, encoding: .utf8)
        chmod(hook, 0o755)
        try #"{"hooks": {"*": ["\#(hook)"]}, "watchIntervalSeconds": 3600}"#
            .write(toFile: fixture.root.file("serve.json"), atomically: true, encoding: .utf8)
        let port = Loopback.freePort()
        let daemon = try SpawnedDaemon("/usr/bin/env", [
            "OG_DATA_DIR=\(fixture.dataDirectory)", "OG_PLUGIN_PATH=\(fixture.pluginsDirectory)", BuiltProducts.ogHost, "serve",
            "--listen", "127.0.0.1:\(port)", "--config", fixture.root.file("serve.json"),
        ], port: port, logPath: fixture.root.file("serve.log"))
        defer { daemon.stop() }
        let log = { (try? String(contentsOfFile: fixture.root.file("serve.log"), encoding: .utf8)) ?? "" }
        let events = { (try? String(contentsOfFile: fixture.root.file("events.out"), encoding: .utf8)) ?? "" }

        // Due when half of the 90 seconds remain; nobody runs anything from here on.
        let deadline = Date().addingTimeInterval(150)
        var served = first
        while Date() < deadline {
            if let now = try? nginx.servedFingerprint("beta.example.test"), now != first { served = now; break }
            Thread.sleep(forTimeInterval: 1)
        }
        #expect(served != first, "nginx never served a renewed certificate: \(log().suffix(3_000))")
        let current = try #require(try fixture.certificateDetails("site")["fingerprint"] as? String)
        #expect(served == current, "nginx serves the lineage's new current version")
        let deadlineEvents = Date().addingTimeInterval(30)
        while Date() < deadlineEvents, !(events().contains(#""kind":"renewed""#) && events().contains(#""kind":"deployed""#)) {
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(events().contains(#""kind":"renewed""#), "\(events())")
        #expect(events().contains(#""kind":"deployed""#), "\(events())")
        #expect(kill(daemon.processID, 0) == 0)
    }
}
