import Foundation
import OGBasics
import OGTestSupport
import Testing

/// A CA that misbehaves (Tests/Fixtures/acme/acme_simulator.py, which says
/// what it cannot prove): malformed JSON, a missing field, an order that
/// never becomes ready, a rateLimited problem, a garbled certificate — each a
/// clear error, nothing half-written in the vault, and where the order is
/// still alive at the CA, a resume into the same order. Also ACME Renewal
/// Information (RFC 9773), which Pebble 2.4.0 does not implement.
@Suite(.serialized) final class ACMEHostileReplyTests {
    let acme: ACMESimulatorFixture
    var fixture: GatewayFixture { acme.fixture }
    var state: TemporaryDirectory { acme.state }
    var port: UInt16 { acme.port }

    init() throws {
        acme = try ACMESimulatorFixture(stateDirectoryPrefix: "og-acme-sim")
    }

    func control(_ change: [String: Any]) throws { try acme.control(change) }

    func seen() throws -> [String: Any] {
        let fetched = try ProcessRunner.run("curl", ["-sS", "http://127.0.0.1:\(port)/control"])
        return try #require(try JSONSerialization.jsonObject(with: Data(fetched.standardOutput)) as? [String: Any])
    }

    func issue(_ extra: [String] = []) throws -> ProcessOutput {
        try fixture.run(["cert", "issue", "web", "--issuer", "sim", "--cn", "web.example.test"] + extra)
    }

    func orders() throws -> [[String: Any]] {
        let listed = try fixture.run(["cert", "orders", "--output", "json"])
        return try #require(try JSONSerialization.jsonObject(with: Data(listed.standardOutput)) as? [[String: Any]])
    }

    /// Nothing in the vault, and no key left behind for a closed order.
    func expectVaultEmpty() throws {
        let listed = try fixture.run(["cert", "list", "--output", "json"])
        #expect((try JSONSerialization.jsonObject(with: Data(listed.standardOutput)) as? [Any])?.isEmpty == true,
                "\(listed.standardOutputText)")
    }

    func keyFiles() -> [String] {
        fixture.dataDirectoryContents().keys.filter { $0.hasPrefix("keys/") && $0.hasSuffix(".key") }.sorted()
    }

    @Test func malformedJSONIsAClearErrorAndWritesNothing() throws {
        try control(["mode": "malformed-order"])
        let keysBefore = keyFiles()
        let result = try issue()
        #expect(result.exitStatus == 1)
        #expect(result.standardErrorText.contains("is not valid ACME") && result.standardErrorText.contains("not JSON"),
                "\(result.standardErrorText)")
        try expectVaultEmpty()
        #expect(keyFiles() == keysBefore, "the closed order's key is gone")
        #expect(try orders().first?["state"] as? String == "failed")
    }

    @Test func aMissingFieldIsNamed() throws {
        try control(["mode": "missing-finalize"])
        let result = try issue()
        #expect(result.exitStatus == 1)
        #expect(result.standardErrorText.contains("has no 'finalize' field"), "\(result.standardErrorText)")
        try expectVaultEmpty()
    }

    @Test func rateLimitedIsReportedWithTypeDetailAndRetryAfter() throws {
        try control(["mode": "rate-limited"])
        let keysBefore = keyFiles()
        let result = try issue()
        #expect(result.exitStatus == 1)
        let message = result.standardErrorText
        #expect(message.contains("rateLimited") && message.contains("too many new orders recently")
                && message.contains("retry after 3600 s"), "\(message)")
        try expectVaultEmpty()
        #expect(keyFiles() == keysBefore)
    }

    @Test func aBrieflyUnavailableCAIsWaitedOutAsItAsks() throws {
        try control(["mode": "busy-once"])
        let result = try issue()
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
        #expect(try seen()["new_orders"] as? Int == 2, "the refused newOrder was sent again after Retry-After")
    }

    @Test func anOrderThatNeverBecomesReadyStopsInTimeAndResumesIntoTheSameOrder() throws {
        try control(["mode": "never-ready"])
        let waited = try issue(["--wait", "2"])
        #expect(waited.exitStatus == 1)
        #expect(waited.standardErrorText.contains("did not finish in time (last state: pending)"), "\(waited.standardErrorText)")
        #expect(waited.standardErrorText.contains("rerun og-host cert issue web --issuer sim to resume it"))
        try expectVaultEmpty()
        #expect(try orders().first?["state"] as? String == "pending")

        let removal = try fixture.run(["issuer", "remove", "sim"])
        #expect(removal.exitStatus == 2 && removal.standardErrorText.contains("has open orders"), "\(removal.standardErrorText)")

        try control(["mode": "normal"])
        let resumed = try fixture.run(["cert", "issue", "web", "--issuer", "sim"])
        try #require(resumed.exitStatus == 0, "resume: \(resumed.standardErrorText)")
        #expect(resumed.standardOutputText.contains("(resumed order)"))
        let removed = try fixture.run(["issuer", "remove", "sim"])
        #expect(removed.exitStatus == 0, "\(removed.standardErrorText)")
        #expect(!fixture.dataDirectoryContents().keys.contains { $0.contains("acme-account-") }, "the account key is destroyed")
        #expect(try seen()["new_orders"] as? Int == 1, "no second order was placed")
    }

    @Test func aGarbledCertificateLeavesTheVaultAloneAndTheDownloadIsRetriedOnResume() throws {
        try control(["mode": "bad-certificate"])
        let result = try issue()
        #expect(result.exitStatus == 1)
        #expect(result.standardErrorText.contains("not a PEM chain"), "\(result.standardErrorText)")
        try expectVaultEmpty()
        #expect(try orders().first?["state"] as? String == "valid")
        try control(["mode": "normal"])
        let resumed = try fixture.run(["cert", "issue", "web", "--issuer", "sim"])
        try #require(resumed.exitStatus == 0, "resume: \(resumed.standardErrorText)")
        #expect(try seen()["new_orders"] as? Int == 1)
    }

    @Test func renewalInformationIsFetchedAndTheRenewalOrderNamesWhatItReplaces() throws {
        let first = try issue()
        try #require(first.exitStatus == 0, "cert issue: \(first.standardErrorText)")
        #expect((try seen()["last_new_order"] as? [String: Any])?["replaces"] == nil, "a first order replaces nothing")

        try control(["window": ["start": "2030-01-01T00:00:00Z", "end": "2030-01-02T12:00:00Z"]])
        let info = try fixture.run(["cert", "renewal-info", "web", "--output", "json"])
        try #require(info.exitStatus == 0, "renewal-info: \(info.standardErrorText)")
        let window = try #require(try JSONSerialization.jsonObject(with: Data(info.standardOutput)) as? [String: Any])
        #expect(window["start"] as? String == "2030-01-01T00:00:00Z")
        #expect(window["end"] as? String == "2030-01-02T12:00:00Z")
        #expect(window["retry_after"] as? Double == 21600)
        let ariID = try #require(window["ari_identifier"] as? String)
        #expect(ariID.split(separator: ".").count == 2)

        let renewed = try issue()
        try #require(renewed.exitStatus == 0, "renewal: \(renewed.standardErrorText)")
        let order = try #require(try seen()["last_new_order"] as? [String: Any])
        #expect(order["replaces"] as? String == ariID)

        try control(["window": ["start": "2030-01-03T00:00:00Z", "end": "2030-01-01T00:00:00Z"]])
        let backwards = try fixture.run(["cert", "renewal-info", "web"])
        #expect(backwards.exitStatus == 1 && backwards.standardErrorText.contains("ends before it starts"))
    }
}
