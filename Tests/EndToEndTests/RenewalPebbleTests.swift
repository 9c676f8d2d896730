import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Renewal end to end against a real Pebble issuing 90-second certificates
/// (http-01 answered through a real nginx's webroot) and a real nginx the
/// certificate is bound to: nothing is renewed before it is due; once due, a
/// pass issues a new version, moves the name to it, deploys it to the bound
/// nginx, which serves it (openssl s_client); the next pass skips it; with
/// nginx down (and no authorization reused), Pebble's validation fails and the backoff is recorded.
@Suite(.serialized) final class RenewalPebbleTests {
    @Test func aDueCertificateIsRenewedDeployedAndServedAndTheNextPassSkipsIt() throws {
        let fixture = try GatewayFixture(plugins: ["nginx"])
        let site = try PebbleRenewalSite(fixture: fixture)
        let nginx = site.nginx, pebble = site.pebble
        defer { nginx.stop() }
        func run(_ arguments: [String]) throws -> ProcessOutput { try fixture.run(arguments) }
        func json(_ arguments: [String], exit expected: Int32 = 0) throws -> [String: Any] {
            let result = try run(arguments + ["--output", "json"])
            try #require(result.exitStatus == expected,
                         "\(arguments): exit \(result.exitStatus): \(result.standardErrorText)\n\(result.standardOutputText)\n\(pebble.log.suffix(2_000))")
            return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any])
        }
        func item(_ report: [String: Any]) -> [String: Any] { (report["items"] as? [[String: Any]])?.first ?? [:] }
        func date(_ value: Any?) -> Date? { (value as? String).flatMap { ISO8601DateFormatter().date(from: $0) } }

        let first = site.firstFingerprint
        #expect(try nginx.servedFingerprint("beta.example.test") == first)

        // Planned: due when half of the 90 seconds remain (a few seconds of jitter earlier).
        var report = try json(["renew"])
        if item(report)["outcome"] as? String == "not-due" {
            let due = try #require(date(item(report)["due_at"]))
            #expect(due.timeIntervalSinceNow < 50, "due at \(due)")
            Thread.sleep(forTimeInterval: max(due.timeIntervalSinceNow + 1, 0))
            report = try json(["renew"])
        }
        let renewed = item(report)
        #expect(renewed["outcome"] as? String == "renewed", "\(report)")
        let deploy = try #require(renewed["deploy"] as? [String: Any], "auto-deploy ran: \(report)")
        #expect(deploy["succeeded"] as? Bool == true, "\(deploy)")
        let second = try #require(try fixture.certificateDetails("site")["fingerprint"] as? String)
        #expect(second != first, "the name moved to the new version")
        #expect(try fixture.certificateDetails("site")["id"] as? String == renewed["new_certificate_id"] as? String)
        #expect(try nginx.servedFingerprint("beta.example.test") == second, "nginx serves the renewed certificate")

        // The new version is not due yet: the next pass skips it and says so.
        let again = try run(["renew"])
        #expect(again.exitStatus == 0)
        #expect(again.standardOutputText.contains("Nothing is due.") && again.standardOutputText.contains("1 certificate(s) not due"),
                "\(again.standardOutputText)")

        // Pebble cannot reach the web server: validation fails, backs off an hour, persisted.
        nginx.stop()
        let failed = try json(["renew", "--force", "site"], exit: 1)
        #expect(item(failed)["outcome"] as? String == "failed" && item(failed)["error_class"] as? String == "validation",
                "\(failed)")
        let policy = try json(["cert", "policy", "site"])
        #expect(policy["failures"] as? Int == 1 && policy["error_class"] as? String == "validation")
        let until = try #require(date(policy["backoff_until"]))
        #expect(until.timeIntervalSinceNow > 3_500)
        #expect(try fixture.certificateDetails("site")["fingerprint"] as? String == second, "nothing replaced the current version")
    }
}
