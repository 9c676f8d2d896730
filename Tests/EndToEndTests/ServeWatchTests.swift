import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The daemon's served-certificate watch with real TLS probes against a real
/// nginx, and its webhook delivered through a real HTTP proxy.
@Suite(.serialized) struct ServeWatchTests {
    /// nginx serves (a) `app` on alpha as installed: no event; (b) on beta the first version of `site`, inside
    /// its policy window while a newer version exists: an `expiring` event for that node; and (c) once someone
    /// installs another certificate on alpha behind og-host's back, a `served-mismatch` event. The hook gets
    /// each once, however many watch passes see the condition.
    @Test func serveWatchesWhatRealNodesServeAndRaisesEachConditionOnce() throws {
        let site = try ServeDeploySite(nginxCount: 1)
        let nginx = site.nginx[0]
        let alpha = "alpha.example.test:\(nginx.tlsPort)"
        for arguments in [
            ["cert", "issue", "app", "--issuer", "internal", "--cn", "alpha.example.test"],
            ["tls", "install", "web1", "--cert-id", "app", "--node", alpha],
            // A newer version of site that nobody deploys: beta keeps serving the old one, inside its window.
            ["cert", "issue", "site", "--issuer", "internal", "--cn", "beta.example.test"],
        ] {
            let result = try site.fixture.run(arguments)
            try #require(result.exitStatus == 0, "\(arguments.prefix(3)): \(result.standardErrorText)")
        }
        #expect(try nginx.servedFingerprint("beta.example.test") == site.firstFingerprint)
        let daemon = try site.startDaemon(watchIntervalSeconds: 1)
        defer { daemon.stop() }

        let expiring = eventually(60) { !site.events("expiring").isEmpty }
        #expect(expiring, "no expiring event: \(site.log().suffix(3_000))")
        let event = try #require(site.events("expiring").first)
        #expect(event["subject"] as? String == "site" && event["endpoint"] as? String == "web1", "\(event)")
        #expect(event["scope"] as? String == "node")
        let payload = try #require(event["payload"] as? [String: Any])
        #expect(payload["served_fingerprint"] as? String == site.firstFingerprint || payload["servedFingerprint"] as? String == site.firstFingerprint,
                "\(payload)")
        Thread.sleep(forTimeInterval: 3)  // three more watch passes
        #expect(site.events("expiring").count == 1, "\(site.events)")
        #expect(!site.events.contains { $0["subject"] as? String == "app" }, "app is served as installed: \(site.events)")

        let intruder = try site.pki.issue("intruder", dnsNames: ["alpha.example.test"])
        let replaced = try site.fixture.run(["tls", "install", "web1", "--cert", intruder.certificate, "--key", intruder.key,
                                             "--chain", site.pki.chain, "--node", alpha])
        try #require(replaced.exitStatus == 0, "\(replaced.standardErrorText)")
        #expect(eventually(60) { !site.events("served-mismatch").isEmpty }, "no served-mismatch event: \(site.log().suffix(3_000))")
        let mismatch = try #require(site.events("served-mismatch").first)
        #expect(mismatch["subject"] as? String == "app" && mismatch["endpoint"] as? String == "web1", "\(mismatch)")
        #expect(mismatch["scope"] as? String == "node")
        Thread.sleep(forTimeInterval: 3)
        #expect(site.events("served-mismatch").count == 1, "\(site.events)")
        #expect(site.events("expiring").count == 1, "\(site.events)")
    }

    /// A version nothing renews (its lineage has no issuer) is inside its window and a node serves it: the
    /// renewal pass (needs the operator) and the watch (the node serves the current version there) see the same
    /// fact, and it is one `expiring` event of scope certificate, however many passes and probes see it.
    @Test func anExpiringCurrentVersionIsOneEventWhetherThePassOrTheWatchSeesIt() throws {
        let site = try ServeDeploySite(nginxCount: 1)
        let manual = try site.fixture.run(["cert", "policy", "site", "--issuer", "manual"])
        try #require(manual.exitStatus == 0, "\(manual.standardErrorText)")
        let daemon = try site.startDaemon(watchIntervalSeconds: 1)
        defer { daemon.stop() }
        #expect(eventually(60) { !site.events("expiring").isEmpty }, "no expiring event: \(site.log().suffix(3_000))")
        Thread.sleep(forTimeInterval: 4)  // more watch passes and renewal checks
        let expiring = site.events("expiring")
        #expect(expiring.count == 1, "\(site.events)")
        #expect(expiring.first?["scope"] as? String == "certificate" && expiring.first?["endpoint"] is NSNull, "\(expiring)")
        #expect(expiring.first?["subject"] as? String == "site")
        #expect(try site.nginx[0].servedFingerprint("beta.example.test") == site.firstFingerprint, "nothing renewed it")
    }

    /// The certificate-scope `expiring` event has one document whoever records it: the renewal pass (`og-host
    /// renew`) first in one run, then, with that row gone, serve's watch (the pass does not notify twice).
    @Test func anExpiringEventCarriesTheSameDocumentFromThePassAndFromTheWatch() throws {
        let site = try ServeDeploySite(nginxCount: 1)
        let manual = try site.fixture.run(["cert", "policy", "site", "--issuer", "manual"])
        try #require(manual.exitStatus == 0, "\(manual.standardErrorText)")
        let database = site.fixture.dataDirectory + "/inventory.sqlite"
        func recorded() throws -> [String: Any]? {
            let dump = try ProcessRunner.run("sqlite3", [database, "SELECT payload FROM gatewayEvent WHERE kind = 'expiring'"])
            try #require(dump.exitStatus == 0, "sqlite3: \(dump.standardErrorText)")
            let line = dump.standardOutputText.split(separator: "\n").first.map(String.init) ?? ""
            return line.isEmpty ? nil : try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }
        _ = try site.fixture.run(["renew"])
        let fromThePass = try #require(try recorded(), "the pass recorded no expiring event")
        let cleared = try ProcessRunner.run("sqlite3", [database, "DELETE FROM gatewayEvent"])
        try #require(cleared.exitStatus == 0)

        let daemon = try site.startDaemon(watchIntervalSeconds: 1)
        defer { daemon.stop() }
        #expect(eventually(60) { ((try? recorded()) ?? nil) != nil }, "the watch recorded nothing: \(site.log().suffix(3_000))")
        let fromTheWatch = try #require(try recorded())
        #expect(NSDictionary(dictionary: fromThePass).isEqual(to: fromTheWatch), "pass: \(fromThePass)\nwatch: \(fromTheWatch)")
        #expect(fromThePass["certificateId"] as? String != nil && fromThePass["notAfter"] != nil, "\(fromThePass)")
    }

    /// The renewal of `site` raises `renewed`; the webhook gets it over HTTPS through a real tinyproxy (the
    /// gateway's outbound proxy), verified with og-host's trust anchors.
    @Test func theWebhookGoesThroughTheOutboundProxy() throws {
        let site = try ServeDeploySite(nginxCount: 0)
        let work = try TemporaryDirectory("og-webhook")
        let receiver = try ApplianceStandIn(pki: site.pki, directory: work)
        let proxy = try TinyproxyStandIn(directory: work)
        let set = try site.fixture.run(["proxy", "set", "--host", "127.0.0.1", "--port", "\(proxy.port)"])
        try #require(set.exitStatus == 0, "\(set.standardErrorText)")
        let daemon = try site.startDaemon(config: #", "webhook": {"url": "https://localhost:\#(receiver.port)/record/events.json", "timeoutSeconds": 10}"#)
        defer { daemon.stop() }
        let received = { (try? String(contentsOfFile: work.file("events.json"), encoding: .utf8)) ?? "" }
        #expect(eventually(90) { received().contains(#""kind":"renewed""#) }, "the webhook got nothing: \(site.log().suffix(3_000))")
        #expect(proxy.connects(toPort: receiver.port) >= 1, "the webhook did not go through the proxy")
        let document = try #require(received().split(separator: "\n").first { $0.contains(#""kind":"renewed""#) })
        let event = try #require(try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any])
        #expect(event["subject"] as? String == "site" && event["scope"] as? String == "certificate", "\(event)")
        #expect(eventually(20) { (try? site.status())?["undelivered_events"] as? Int == 0 })
    }
}
