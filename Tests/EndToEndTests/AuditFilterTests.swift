import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `og-host audit` filters: --outcome, --endpoint, --since, --until, through the real binary.
@Suite struct AuditFilterTests {
    @Test func filtersSelectByOutcomeEndpointAndTime() throws {
        let fixture = try GatewayFixture(plugins: ["hello-c"])
        let directory = try TemporaryDirectory("og-audit-filter")
        let added = try fixture.run(["tls", "add", "pem_dir", "--name", "ok", "--connection_type", "local",
                                     "--cert_dir", directory.path])
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        let refused = try fixture.run(["tls", "add", "pem_dir", "--name", "bad", "--connection_type", "ssh", "--host", "h",
                                       "--port", "70000", "--user", "u", "--password", "p", "--cert_dir", directory.path])
        #expect(refused.exitStatus == 2)

        func records(_ filters: [String]) throws -> [[String: Any]] {
            let result = try fixture.run(["audit", "--output", "json"] + filters)
            #expect(result.exitStatus == 0, "\(filters): \(result.standardErrorText)")
            return (try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [[String: Any]]) ?? []
        }
        let failures = try records(["--outcome", "failure"])
        #expect(!failures.isEmpty && failures.allSatisfy { $0["outcome"] as? String == "failure" }, "\(failures)")
        #expect(failures.contains { $0["subject"] as? String == "bad" && $0["action"] as? String == "tls.add" })
        let ok = try records(["--endpoint", "ok"])
        #expect(!ok.isEmpty && ok.allSatisfy { $0["subject"] as? String == "ok" })
        #expect(try records(["--since", "2000-01-01"]).count >= 2)
        #expect(try records(["--until", "2000-01-01"]).isEmpty)
        let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
        #expect(try records(["--since", later]).isEmpty)

        let bad = try fixture.run(["audit", "--since", "yesterday"])
        #expect(bad.exitStatus == 2)
        #expect(bad.standardErrorText.contains("since"), "\(bad.standardErrorText)")
        let badOutcome = try fixture.run(["audit", "--outcome", "maybe"])
        #expect(badOutcome.exitStatus == 2 && badOutcome.standardErrorText.contains("outcome"))
    }
}
