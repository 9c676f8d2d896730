import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `og-host renew` and `cert policy` against the misbehaving ACME server
/// (Tests/Fixtures/acme, which says what it cannot prove; it issues one-day
/// certificates without challenges and serves renewal information): planning,
/// ARI windows kept across passes, forced renewals moving the name to a new
/// version, rate-limit and validation backoffs persisted across processes,
/// dry runs changing nothing, and manual certificates reported to the operator.
/// Every og-host run is its own process with its own Inventory instance.
@Suite(.serialized) final class RenewalCommandTests {
    let acme: ACMESimulatorFixture
    var fixture: GatewayFixture { acme.fixture }
    var state: TemporaryDirectory { acme.state }
    var port: UInt16 { acme.port }

    init() throws {
        acme = try ACMESimulatorFixture(stateDirectoryPrefix: "og-renew-sim")
    }

    func control(_ change: [String: Any]) throws { try acme.control(change) }

    func newOrders() throws -> Int {
        let fetched = try ProcessRunner.run("curl", ["-sS", "http://127.0.0.1:\(port)/control"])
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(fetched.standardOutput)) as? [String: Any])
        return seen["new_orders"] as? Int ?? -1
    }

    func json(_ arguments: [String], exit expected: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let result = try fixture.run(arguments + ["--output", "json"])
        try #require(result.exitStatus == expected,
                     "\(arguments): exit \(result.exitStatus): \(result.standardErrorText)\n\(result.standardOutputText)",
                     sourceLocation: sourceLocation)
        return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any],
                            sourceLocation: sourceLocation)
    }

    func items(_ report: [String: Any]) -> [[String: Any]] { report["items"] as? [[String: Any]] ?? [] }

    func date(_ value: Any?) -> Date? { (value as? String).flatMap { ISO8601DateFormatter().date(from: $0) } }

    func issueWeb() throws {
        let issued = try fixture.run(["cert", "issue", "web", "--issuer", "sim", "--cn", "web.example.test",
                                      "--san-dns", "www.example.test"])
        try #require(issued.exitStatus == 0, "cert issue: \(issued.standardErrorText)")
    }

    /// The rows og-host keeps for renewal and the certificates, as sqlite3 prints them: what a dry run must not change.
    func databaseState() throws -> String {
        let dump = try ProcessRunner.run("sqlite3", [fixture.dataDirectory + "/inventory.sqlite",
                                                     "SELECT * FROM renewalSchedule; SELECT id, name FROM managedCertificate ORDER BY id; "
                                                     + "SELECT COUNT(*) FROM audit; SELECT COUNT(*) FROM acmeOrder;"])
        try #require(dump.exitStatus == 0, "sqlite3: \(dump.standardErrorText)")
        return dump.standardOutputText
    }

    /// The outbox's events (kind and subject), oldest first.
    func events() throws -> [String] {
        let dump = try ProcessRunner.run("sqlite3", [fixture.dataDirectory + "/inventory.sqlite",
                                                     "SELECT kind || ' ' || subject FROM gatewayEvent ORDER BY id"])
        try #require(dump.exitStatus == 0, "sqlite3: \(dump.standardErrorText)")
        return dump.standardOutputText.split(separator: "\n").map(String.init)
    }

    @Test func certIssueRecordsThePolicyAndAPassPlansWithoutRenewingWhatIsNotDue() throws {
        try issueWeb()
        let policy = try json(["cert", "policy", "web"])
        #expect(policy["issuer"] as? String == "sim")
        #expect((policy["settings"] as? [String: String])?["names"] == "web.example.test\nwww.example.test")
        #expect(policy["auto_deploy"] as? Bool == true && policy["auto_deploy_is_default"] as? Bool == true)
        #expect(policy["needs_planning"] as? Bool == true)

        // A one-day certificate: due when half of it remains (minus at most 1/50 of jitter).
        let first = try json(["renew"])
        let item = try #require(items(first).first)
        #expect(items(first).count == 1 && item["outcome"] as? String == "not-due", "\(first)")
        let certificate = try fixture.certificateDetails("web")
        let notAfter = try #require(date(certificate["not_after"]))
        let due = try #require(date(item["due_at"]))
        let halfway = notAfter.addingTimeInterval(-43_200)
        #expect(due <= halfway.addingTimeInterval(1) && due >= halfway.addingTimeInterval(-86_400 / 50 - 1), "due \(due), halfway \(halfway)")

        // The second pass reads only the index: nothing listed, the certificate counted as not due.
        let before = try databaseState()
        let second = try fixture.run(["renew"])
        #expect(second.exitStatus == 0)
        #expect(second.standardOutputText.contains("Nothing is due.") && second.standardOutputText.contains("1 certificate(s) not due; next: web at"),
                "\(second.standardOutputText)")
        #expect(try databaseState() == before, "an idle pass writes nothing")
        #expect(try newOrders() == 1)
    }

    @Test func anARIWindowIsUsedAndItsChosenPointKeptAcrossPasses() throws {
        let start = Date().addingTimeInterval(3_600)
        let end = start.addingTimeInterval(7_200)
        let format = ISO8601DateFormatter()
        try control(["window": ["start": format.string(from: start), "end": format.string(from: end)]])
        try issueWeb()
        let planned = try json(["renew"])
        let item = try #require(items(planned).first)
        #expect(item["outcome"] as? String == "not-due")
        #expect((item["due_reason"] as? String)?.hasPrefix("renewal-info") == true, "\(item)")
        let due = try #require(date(item["due_at"]))
        #expect(due >= start.addingTimeInterval(-1) && due <= end.addingTimeInterval(1))
        let policy = try json(["cert", "policy", "web"])
        #expect(date(policy["ari_chosen_at"]).map { abs($0.timeIntervalSince(due)) < 1 } == true)
        #expect(date(policy["ari_window_start"]).map { abs($0.timeIntervalSince(start)) < 1 } == true)

        // A policy change re-plans; the stored choice is still inside the window, so it stays.
        let changed = try json(["cert", "policy", "web", "--auto-deploy", "off"])
        #expect(changed["auto_deploy"] as? Bool == false && changed["needs_planning"] as? Bool == true)
        let replanned = try json(["renew"])
        #expect(date(items(replanned).first?["due_at"]).map { abs($0.timeIntervalSince(due)) < 0.01 } == true,
                "the random point is not re-rolled: \(replanned)")
    }

    @Test func forceRenewsANewVersionThatTakesTheName() throws {
        try issueWeb()
        let old = try #require(try fixture.certificateDetails("web")["id"] as? String)
        let renewed = try json(["renew", "--force", "web"])
        let item = try #require(items(renewed).first)
        #expect(item["outcome"] as? String == "renewed", "\(renewed)")
        #expect(item["certificate_id"] as? String == old)
        let new = try #require(item["new_certificate_id"] as? String)
        #expect(new != old)
        #expect(try fixture.certificateDetails("web")["id"] as? String == new, "the name moved to the new version")
        #expect((try fixture.certificateDetails(old)["name"] as? String) == nil, "the old version stays, unnamed")
        #expect((item["deploy"] as? [String: Any]) == nil || (item["deploy"] as? [String: Any])?["succeeded"] as? Bool == true)
        // The new version is planned at once: nothing is due now.
        let next = try fixture.run(["renew"])
        #expect(next.exitStatus == 0 && next.standardOutputText.contains("Nothing is due."), "\(next.standardOutputText)")
        #expect(try newOrders() == 2)
        #expect(try events() == ["renewed web"])
        #expect(try fixture.auditTrail().contains { $0.action == "cert.renew" && $0.outcome == "success" && $0.detail.contains(new) })
        let unknown = try fixture.run(["renew", "--force", "nope"])
        #expect(unknown.exitStatus == 3 && unknown.standardErrorText.contains("--force: 'nope' is not a certificate name"),
                "\(unknown.standardErrorText)")
    }

    /// A CA window that has already passed: whatever it issues is due at once.
    func windowInThePast() throws {
        let format = ISO8601DateFormatter()
        try control(["window": ["start": format.string(from: Date().addingTimeInterval(-7_200)),
                                "end": format.string(from: Date().addingTimeInterval(-3_600))]])
    }

    @Test func aRateLimitBacksOffForTheRetryAfterAndThatSurvivesANewProcess() throws {
        try issueWeb()
        try windowInThePast()
        try control(["mode": "rate-limited"])
        let started = Date()
        let failed = try json(["renew"], exit: 1)
        let item = try #require(items(failed).first)
        #expect(item["outcome"] as? String == "failed" && item["error_class"] as? String == "rate-limited", "\(item)")
        #expect((item["message"] as? String)?.contains("rateLimited") == true)
        let policy = try json(["cert", "policy", "web"])
        #expect(policy["failures"] as? Int == 1 && policy["error_class"] as? String == "rate-limited")
        #expect((policy["due_reason"] as? String)?.hasPrefix("renewal-info") == true, "\(policy)")
        let until = try #require(date(policy["backoff_until"]))
        #expect(until >= started.addingTimeInterval(3_600 - 1) && until <= Date().addingTimeInterval(3_600 + 1),
                "Retry-After 3600 honoured: \(until)")
        #expect((policy["last_error"] as? String)?.contains("too many new orders recently") == true)

        // Pass after pass (each a new process), the lineage waits out its backoff and says so.
        try control(["mode": "normal"])
        let orders = try newOrders()
        for _ in 0..<2 {
            let waiting = try json(["renew"])
            let listed = try #require(items(waiting).first)
            #expect(listed["outcome"] as? String == "backing-off" && (listed["message"] as? String)?.contains("rate-limited") == true,
                    "\(waiting)")
        }
        #expect(try newOrders() == orders, "nothing was asked of the CA")
        #expect(try json(["cert", "policy", "web"])["failures"] as? Int == 1)
        #expect(try events() == ["renewal-failed web"], "one event for the one failed attempt")
    }

    @Test func aFailedValidationBacksOffAnHourThenLongerAndASuccessClearsIt() throws {
        try issueWeb()
        try control(["mode": "validation-failed"])
        let first = try json(["renew", "--force", "web"], exit: 1)
        #expect(items(first).first?["error_class"] as? String == "validation", "\(first)")
        let once = try json(["cert", "policy", "web"])
        let firstUntil = try #require(date(once["backoff_until"]))
        #expect(firstUntil.timeIntervalSinceNow > 3_600 - 60 && firstUntil.timeIntervalSinceNow <= 3_600 * 1.1 + 1)
        _ = try json(["renew", "--force", "web"], exit: 1)
        let twice = try json(["cert", "policy", "web"])
        #expect(twice["failures"] as? Int == 2)
        let secondUntil = try #require(date(twice["backoff_until"]))
        #expect(secondUntil.timeIntervalSinceNow > 4 * 3_600 - 60, "grows fourfold: \(secondUntil)")

        try control(["mode": "normal"])
        let renewed = try json(["renew", "--force", "web"])
        #expect(items(renewed).first?["outcome"] as? String == "renewed", "\(renewed)")
        let clean = try json(["cert", "policy", "web"])
        #expect(clean["failures"] as? Int == 0 && clean["backoff_until"] == nil && clean["last_outcome"] as? String == "renewed")

        // One renewal-failed per streak: the two failures of the first version are one event (attempts 1); the
        // success closed that streak, so a failure of the new version is a second one.
        #expect(try events() == ["renewal-failed web", "renewed web"], "one event for the streak of two failures")
        try control(["mode": "validation-failed"])
        _ = try json(["renew", "--force", "web"], exit: 1)
        #expect(try events() == ["renewal-failed web", "renewed web", "renewal-failed web"])
        let documents = try ProcessRunner.run("sqlite3", [fixture.dataDirectory + "/inventory.sqlite",
                                                          "SELECT payload FROM gatewayEvent WHERE kind = 'renewal-failed'"])
        let attempts = documents.standardOutputText.split(separator: "\n").map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["attempts"] as? Int
        }
        #expect(attempts == [1, 1], "\(documents.standardOutputText)")
    }

    @Test func aDryRunChangesNothingAndSaysWhatWouldHappen() throws {
        try issueWeb()
        try windowInThePast()
        let before = try databaseState()
        let orders = try newOrders()
        let due = try fixture.run(["renew", "--dry-run"])
        #expect(due.exitStatus == 0, "\(due.standardErrorText)")
        #expect(due.standardOutputText.contains("web: would-renew: would renew through issuer sim (web.example.test, www.example.test)"),
                "\(due.standardOutputText)")
        #expect(due.standardOutputText.contains("Dry run: nothing was changed."))
        #expect(try databaseState() == before)
        #expect(try newOrders() == orders)

        try control(["mode": "rate-limited"])
        _ = try json(["renew"], exit: 1)
        try control(["mode": "normal"])
        let backingOff = try databaseState()
        let idle = try fixture.run(["renew", "--dry-run"])
        #expect(idle.standardOutputText.contains("web: backing-off"), "\(idle.standardOutputText)")
        let forced = try fixture.run(["renew", "--dry-run", "--force", "web"])
        #expect(forced.standardOutputText.contains("web: would-renew") && forced.standardOutputText.contains(", forced"),
                "\(forced.standardOutputText)")
        #expect(try databaseState() == backingOff)
        #expect(try newOrders() == orders + 1)
    }

    @Test func aManualCertificateThatIsDueIsReportedToTheOperatorNeverSkipped() throws {
        let authority = try CertTestAuthority()
        let work = try TemporaryDirectory("og-renew-manual")
        let request = try fixture.requestCertificate(["--name", "byhand", "--key", "ec-p256", "--cn", "byhand.example.test"], in: work)
        // Ten days of life of which six are gone: less than half remains.
        let leaf = try authority.sign(csrPath: request.csrPath, notBefore: Date().addingTimeInterval(-6 * 86_400),
                                      notAfter: Date().addingTimeInterval(4 * 86_400))
        _ = try fixture.run(["ca", "add", authority.rootPath])
        let imported = try fixture.run(["cert", "import", request.id, "--cert", leaf, "--chain", authority.intermediatePath])
        try #require(imported.exitStatus == 0, "cert import: \(imported.standardErrorText)")

        let first = try fixture.run(["renew"])
        #expect(first.exitStatus == 0, "\(first.standardErrorText)")
        #expect(first.standardOutputText.contains("byhand: needs-operator: due since")
                && first.standardOutputText.contains("og-host cert request --name byhand"), "\(first.standardOutputText)")
        #expect(try fixture.auditTrail().filter { $0.action == "cert.renew" && $0.subject == "byhand" }.count == 1)
        // Next pass: still listed (the reminder waits a day), not reported to the audit trail again.
        let second = try fixture.run(["renew", "--output", "json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(second.standardOutput)) as? [String: Any])
        #expect(items(report).first?["outcome"] as? String == "needs-operator", "\(report)")
        #expect(try fixture.auditTrail().filter { $0.action == "cert.renew" && $0.subject == "byhand" }.count == 1)
        #expect(try events() == ["expiring byhand"], "one expiring event per version")
        // An issuer cannot be set without settings from a cert issue.
        let refused = try fixture.run(["cert", "policy", "byhand", "--issuer", "sim"])
        #expect(refused.exitStatus == 2 && refused.standardErrorText.contains("--issuer: certificate 'byhand' was never issued"),
                "\(refused.standardErrorText)")
    }

    /// A command issuer (an internal CA's signing program: CSR on standard input, chain on standard output, run
    /// from its argv without a shell) issues and renews; a failing program is a clear, backed-off failure.
    @Test func aCommandIssuerIssuesAndRenewsAndAFailingOneBacksOff() throws {
        let authority = try CertTestAuthority()
        let script = state.file("sign.sh")
        try LocalFiles.writeAtomically(script, contents: Array("""
            set -e
            csr=$(mktemp)
            cat > "$csr"
            openssl x509 -req -in "$csr" -CA "$1/intermediate.pem" -CAkey "$1/intermediate.key" -days 1 \\
              -copy_extensions copy -set_serial "0x$(openssl rand -hex 8)" 2>/dev/null
            cat "$1/intermediate.pem"
            rm -f "$csr"

            """.utf8), mode: 0o755)
        let relative = try fixture.run(["issuer", "add", "command", "--name", "bad", "--argv", "sign.sh"])
        #expect(relative.exitStatus == 2 && relative.standardErrorText.contains("--argv: 'sign.sh' is not an absolute path"),
                "\(relative.standardErrorText)")
        let added = try fixture.run(["issuer", "add", "command", "--name", "internal", "--argv", "/bin/sh", "--argv", script,
                                     "--argv", authority.directory.path])
        try #require(added.exitStatus == 0, "issuer add command: \(added.standardErrorText)")
        let taken = try fixture.run(["issuer", "add", "command", "--name", "sim", "--argv", "/bin/true"])
        #expect(taken.exitStatus == 4 && taken.standardErrorText.contains("already used by another issuer"), "\(taken.standardErrorText)")
        let listed = try fixture.run(["issuer", "list"])
        #expect(listed.standardOutputText.contains("internal") && listed.standardOutputText.contains("command: /bin/sh"))

        let issued = try fixture.run(["cert", "issue", "app", "--issuer", "internal", "--cn", "app.internal.test",
                                      "--san-dns", "api.internal.test"])
        try #require(issued.exitStatus == 0, "cert issue: \(issued.standardErrorText)")
        let first = try fixture.certificateDetails("app")
        #expect(first["status"] as? String == "issued")
        #expect(first["chain"] as? [String] == ["CN=\(authority.intermediateName)"], "\(first)")
        let challenged = try fixture.run(["cert", "issue", "other", "--issuer", "internal", "--cn", "o.internal.test",
                                          "--challenge", "http-01"])
        #expect(challenged.exitStatus == 2 && challenged.standardErrorText.contains("--challenge: issuer 'internal' is a command issuer"))

        let renewed = try json(["renew", "--force", "app"])
        #expect(items(renewed).first?["outcome"] as? String == "renewed", "\(renewed)")
        let second = try fixture.certificateDetails("app")
        #expect(second["id"] as? String != first["id"] as? String)
        #expect((second["subject_alternative_names"] as? [String])?.contains("DNS:api.internal.test") == true, "\(second)")

        let broken = try fixture.run(["issuer", "add", "command", "--name", "offline", "--argv", "/bin/sh", "--argv=-c",
                                      "--argv", "echo 'CA offline: HSM not reachable' >&2; exit 3"])
        try #require(broken.exitStatus == 0, "\(broken.standardErrorText)")
        let switched = try json(["cert", "policy", "app", "--issuer", "offline"])
        #expect(switched["issuer"] as? String == "offline")
        let failed = try json(["renew", "--force", "app"], exit: 1)
        let item = try #require(items(failed).first)
        #expect((item["message"] as? String)?.contains("exited with status 3: CA offline: HSM not reachable") == true, "\(item)")
        let policy = try json(["cert", "policy", "app"])
        #expect(policy["failures"] as? Int == 1 && policy["error_class"] as? String == "other")
        #expect(date(policy["backoff_until"]).map { $0.timeIntervalSinceNow > 800 } == true)
    }

    @Test func policyOptionsAreValidatedNamingTheOption() throws {
        try issueWeb()
        for (arguments, expected) in [
            (["cert", "policy", "web", "--renew-before-days", "0"], "--renew-before-days: 0 is not between 1 and 120"),
            (["cert", "policy", "web", "--renew-before-days", "121"], "--renew-before-days: 121 is not between 1 and 120"),
            (["cert", "policy", "web", "--renew-before-days", "soon"], "--renew-before-days: 'soon' is not a number"),
            (["cert", "policy", "web", "--auto-deploy", "maybe"], "--auto-deploy: 'maybe' is not on, off or default"),
            (["cert", "policy", "--default", "--issuer", "sim"], "--issuer: is set per certificate"),
        ] {
            let before = try databaseState()
            let result = try fixture.run(arguments)
            #expect(result.exitStatus == 2 && result.standardErrorText.contains(expected), "\(arguments): \(result.standardErrorText)")
            #expect(try databaseState() == before, "nothing changed")
        }
        let missing = try fixture.run(["cert", "policy", "nope"])
        #expect(missing.exitStatus == 3)
        let set = try json(["cert", "policy", "web", "--renew-before-days", "30"])
        #expect(set["renew_before_days"] as? Int == 30 && set["renew_before_days_is_default"] as? Bool == false)
        let defaults = try json(["cert", "policy", "--default", "--renew-before-days", "20", "--auto-deploy", "off"])
        #expect(defaults["renew_before_days"] as? Int == 20 && defaults["auto_deploy"] as? Bool == false)
        let back = try json(["cert", "policy", "web", "--renew-before-days", "default"])
        #expect(back["renew_before_days"] as? Int == 20 && back["renew_before_days_is_default"] as? Bool == true
                && back["auto_deploy"] as? Bool == false)
    }
}
