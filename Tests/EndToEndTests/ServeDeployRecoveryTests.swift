import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The daemon's deploys survive what happens to them: `kill -9` of
/// `og-host serve` while its child jobs are inside an auto-deploy, an
/// endpoint that is down for the first attempts, and renewal claims that
/// must outlive a long renewal but not a dead gateway.
@Suite(.serialized) struct ServeDeployRecoveryTests {
    /// The PIDs of the processes paused at the fault point (`FILE.reached.PID`).
    static func paused(_ resume: String) -> [pid_t] {
        let directory = (resume as NSString).deletingLastPathComponent
        let prefix = (resume as NSString).lastPathComponent + ".reached."
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix(prefix) }.compactMap { pid_t($0.dropFirst(prefix.count)) }.sorted()
    }

    /// Whether `pid` still runs (a zombie nobody reaped yet counts as ended).
    static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    /// `serve` renews `site` and auto-deploys it to two real nginx; both child jobs are paused at
    /// "journal written" (files written, not activated) by the fault harness, and the daemon is killed
    /// with SIGKILL. One child is killed too (what systemd's KillMode=mixed does to a failed unit's
    /// left-overs), the other resumes as an orphan and finishes its install. A restarted daemon must finish
    /// the work: both endpoints serve the new leaf, nginx -t passes, no journal stays open, no backup or
    /// temporary is left, nothing is owed, and the events are one per fact.
    @Test func killingTheDaemonMidDeployAndRestartingItFinishesTheWork() throws {
        let site = try ServeDeploySite(nginxCount: 2)
        let resume = site.fixture.root.file("resume")
        let first = try site.startDaemon(environment: ["OG_FAULT_INJECT=journal written:pause", "OG_FAULT_RESUME=\(resume)",
                                                       "OG_JOB_LEASE_SECONDS=2", "OG_RENEWAL_CLAIM_SECONDS=3"],
                                         log: "serve-1.log")
        var children: [pid_t] = []
        let reached = eventually(120) {
            children = Self.paused(resume)
            return children.count == 2
        }
        try #require(reached, "the two deploy jobs never paused: \(children)\n\(site.log("serve-1.log").suffix(3_000))")
        let renewed = try site.currentFingerprint
        #expect(renewed != site.firstFingerprint, "the paused jobs deploy a renewed version")
        let owedWhileRunning = try site.status()
        #expect(owedWhileRunning["owed_deploy_count"] as? Int == 2, "\(owedWhileRunning)")

        kill(first.processID, SIGKILL)
        first.stop()  // reaps it
        kill(children[0], SIGKILL)
        FileManager.default.createFile(atPath: resume, contents: Data())
        #expect(eventually(60) { !Self.isRunning(children[1]) }, "the orphaned job never finished")
        #expect(!Self.isRunning(children[0]))
        // The orphan ran its install to the end (activated, verified): its nginx serves the new leaf, the
        // killed job's nginx still the old one. Nobody recorded how the jobs ended: both deploys are still owed.
        let served = try site.nginx.map { try $0.servedFingerprint("beta.example.test") }.sorted()
        #expect(served == [site.firstFingerprint, renewed].sorted(), "\(served)")
        #expect(try site.status()["owed_deploy_count"] as? Int == 2)

        let second = try site.startDaemon(environment: ["OG_JOB_LEASE_SECONDS=2", "OG_RENEWAL_CLAIM_SECONDS=3"], log: "serve-2.log")
        defer { second.stop() }
        let settled = eventually(120) { (try? site.status())?["owed_deploy_count"] as? Int == 0 }
        #expect(settled, "the restarted daemon never settled the owed deploys: \(site.log("serve-2.log").suffix(3_000))")
        for (index, instance) in site.nginx.enumerated() {
            try site.expectSound(instance, serving: renewed, "web\(index + 1)")
            let recover = try site.fixture.run(["tls", "recover", "web\(index + 1)"])
            #expect(recover.exitStatus == 0 && recover.standardOutputText.contains("has no interrupted install"),
                    "web\(index + 1): a journal is still open: \(recover.standardOutputText)\(recover.standardErrorText)")
        }
        #expect(try site.currentFingerprint == renewed, "no second renewal")
        // One event per fact: one renewal; a deploy event only for the endpoint the restarted daemon installed on
        // (the orphan's endpoint reports unchanged); no failure.
        #expect(eventually(30) { site.events("deployed").count == 1 }, "\(site.events)")
        #expect(site.events("renewed").count == 1, "\(site.events)")
        #expect(site.events("deploy-failed").isEmpty, "\(site.events)")
        #expect(site.events.allSatisfy { $0["scope"] as? String != nil })
        #expect(site.events("renewed").first?["scope"] as? String == "certificate")
        #expect(site.events("deployed").first?["scope"] as? String == "endpoint")
        #expect(kill(second.processID, 0) == 0, "the daemon lives on")
    }

    /// Auto-deploy after a renewal meets a stopped nginx: the deploy to it fails (rolled back), the failure
    /// is kept per binding with its attempt count and next attempt (cert show, cert list, status), a pass
    /// before that time leaves it alone, a later pass retries it (still down: attempt 2, no second event),
    /// and once nginx runs again `serve` retries it and the binding gets the new version.
    @Test func aFailedAutoDeployIsRetriedByLaterPassesAndServeUntilItSucceeds() throws {
        let site = try ServeDeploySite(nginxCount: 2)
        let down = site.nginx[0]
        down.stop()
        let retry = ["OG_DEPLOY_RETRY_SECONDS": "8"]

        // Run with its standard error closed (`2>&-`): the child jobs' forwarded log lines and the warnings go
        // nowhere, and nothing traps or lands in a file that took descriptor 2.
        let pass = try ProcessRunner.run("/bin/sh", ["-c", "exec \"$@\" 2>&-", "sh", "/usr/bin/env",
                                                     "OG_DATA_DIR=\(site.fixture.dataDirectory)",
                                                     "OG_PLUGIN_PATH=\(site.fixture.pluginsDirectory)",
                                                     "OG_DEPLOY_RETRY_SECONDS=8", BuiltProducts.ogHost, "renew", "--output", "json"])
        #expect(pass.exitStatus == 9, "partial, not a trap: \(pass.exitStatus)")
        #expect(pass.standardErrorText.isEmpty)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(pass.standardOutput)) as? [String: Any])
        let item = try #require((report["items"] as? [[String: Any]])?.first)
        #expect(item["outcome"] as? String == "renewed", "\(item)")
        let deploy = try #require(item["deploy"] as? [String: Any])
        #expect(deploy["succeeded"] as? Bool == false)
        let rows = (deploy["endpoints"] as? [[String: Any]] ?? []).map { "\($0["endpoint"] ?? "") \($0["outcome"] ?? "")" }
        #expect(rows == ["web1 rolled-back", "web2 installed"], "\(deploy)")
        let renewed = try site.currentFingerprint
        #expect(try site.nginx[1].servedFingerprint("beta.example.test") == renewed)

        func owed() throws -> [String: Any]? {
            let bindings = try site.fixture.certificateDetails("site")["bindings"] as? [[String: Any]] ?? []
            return bindings.first { $0["endpoint_name"] as? String == "web1" }?["owed_deploy"] as? [String: Any]
        }
        let failed = try #require(try owed(), "no owed deploy on web1")
        #expect(failed["state"] as? String == "failed" && failed["attempts"] as? Int == 1, "\(failed)")
        #expect(failed["error_class"] as? String == "other", "\(failed)")
        #expect((failed["last_error"] as? String)?.isEmpty == false)
        let web2 = try site.fixture.certificateDetails("site")["bindings"] as? [[String: Any]] ?? []
        #expect(web2.first { $0["endpoint_name"] as? String == "web2" }?["owed_deploy"] == nil, "web2 owes nothing")
        let status = try site.status()
        #expect(status["owed_deploy_count"] as? Int == 1)
        #expect((status["owed_deploys"] as? [[String: Any]])?.first?["endpoint"] as? String == "web1", "\(status)")
        let listed = try site.fixture.run(["cert", "list"]).standardOutputText
        #expect(listed.contains("deploy failed 1×"), "\(listed)")
        #expect(try site.fixture.run(["status"]).standardOutputText.contains("owed deploys (1 binding(s))"))

        // Before its next attempt, a pass leaves it alone.
        let early = try site.fixture.run(["renew", "--output", "json"], extraEnvironment: retry)
        let earlyReport = try #require(try JSONSerialization.jsonObject(with: Data(early.standardOutput)) as? [String: Any])
        #expect((earlyReport["deploy_retries"] as? [Any])?.isEmpty == true, "\(earlyReport)")
        #expect(try owed()?["attempts"] as? Int == 1)

        // After it, a pass retries: still down, so attempt 2 and a longer wait, and no second event.
        // (JSON dates are whole seconds, so the attempt may be up to a second after the one printed.)
        let next = try #require(ISO8601DateFormatter().date(from: failed["next_attempt_at"] as? String ?? ""))
        Thread.sleep(until: next.addingTimeInterval(1.5))
        let again = try site.fixture.run(["renew", "--output", "json"], extraEnvironment: retry)
        #expect(again.exitStatus == 6, "\(again.standardOutputText)\(again.standardErrorText)")
        let againReport = try #require(try JSONSerialization.jsonObject(with: Data(again.standardOutput)) as? [String: Any])
        #expect((againReport["deploy_retries"] as? [[String: Any]])?.first?["succeeded"] as? Bool == false, "\(againReport)")
        let second = try #require(try owed())
        #expect(second["attempts"] as? Int == 2, "\(second)")
        let secondNext = try #require(ISO8601DateFormatter().date(from: second["next_attempt_at"] as? String ?? ""))
        #expect(secondNext.timeIntervalSinceNow > 7, "the wait doubles (16 s): \(second)")

        // nginx is back; the daemon retries when the time comes, and the binding gets the new version.
        try down.start()
        let daemon = try site.startDaemon(environment: ["OG_DEPLOY_RETRY_SECONDS=8"])
        defer { daemon.stop() }
        #expect(eventually(90) { (try? down.servedFingerprint("beta.example.test")) == renewed },
                "serve never retried the deploy: \(site.log().suffix(3_000))")
        #expect(eventually(30) { (try? owed()) == nil && (try? site.status())?["owed_deploy_count"] as? Int == 0 })
        try site.expectSound(down, serving: renewed, "web1")
        #expect(eventually(30) { site.events("deployed").count == 2 }, "\(site.events)")
        #expect(site.events("deploy-failed").count == 1, "one failure event for the version on web1: \(site.events)")
        #expect(site.events("deploy-failed").first?["endpoint"] as? String == "web1")
        #expect(site.events("renewed").count == 1)
    }

    /// Renewal claims are heartbeated: a renewal that takes longer than its claim keeps the lineage (a
    /// second pass meanwhile reports it busy), and a gateway killed mid-renewal loses it within one claim
    /// duration (a pass right after is refused, one a claim later renews).
    @Test func aLiveLongRenewalKeepsItsClaimAndADeadOnesClaimRunsOutQuickly() throws {
        let site = try ServeDeploySite(nginxCount: 1)
        let claim = ["OG_RENEWAL_CLAIM_SECONDS": "2"]
        try site.delaySigning(7)

        // A live renewal, 3.5 claim durations long.
        let long = SendableBox<ProcessOutput?>(nil)
        let done = DispatchSemaphore(value: 0)
        let fixture = site.fixture
        Thread.detachNewThread {
            long.value = try? fixture.run(["renew", "--force", "site", "--output", "json"], extraEnvironment: claim)
            done.signal()
        }
        #expect(eventually(30) { LocalFiles.exists(site.pki.file("signer.pid")) }, "the issuer never started")
        for _ in 0..<2 {
            Thread.sleep(forTimeInterval: 2.5)
            let meanwhile = try site.fixture.run(["renew", "--force", "site", "--output", "json"], extraEnvironment: claim)
            #expect(meanwhile.standardOutputText.contains(#""outcome" : "busy""#) || meanwhile.standardOutputText.contains(#""outcome":"busy""#),
                    "taken over while renewing: \(meanwhile.standardOutputText)")
        }
        done.wait()
        let finished = try #require(long.value)
        #expect(finished.exitStatus == 0, "\(finished.standardOutputText)\(finished.standardErrorText)")
        #expect(finished.standardOutputText.contains("renewed"), "\(finished.standardOutputText)")

        // A dead one: og-host killed while its issuer runs (a 5-second claim, so the pass right after surely sees it).
        let deadClaim = ["OG_RENEWAL_CLAIM_SECONDS": "5"]
        try FileManager.default.removeItem(atPath: site.pki.file("signer.pid"))
        try site.delaySigning(30)
        Thread.detachNewThread { _ = try? fixture.run(["renew", "--force", "site"], extraEnvironment: deadClaim) }
        #expect(eventually(30) { LocalFiles.exists(site.pki.file("signer.pid")) })
        let pids = try String(contentsOfFile: site.pki.file("signer.pid"), encoding: .utf8).split(separator: " ").compactMap { pid_t($0) }
        try #require(pids.count == 2)
        kill(pids[1], SIGKILL)  // og-host
        kill(pids[0], SIGKILL)  // its issuer
        let killedAt = Date()
        try site.delaySigning(nil)
        let before = try site.currentFingerprint
        let refused = try site.fixture.run(["renew", "--force", "site", "--output", "json"], extraEnvironment: deadClaim)
        if Date().timeIntervalSince(killedAt) < 4 {
            #expect(refused.standardOutputText.contains("busy"), "the dead pass's claim still holds right after: \(refused.standardOutputText)")
        }
        Thread.sleep(until: killedAt.addingTimeInterval(5.5))
        let taken = try site.fixture.run(["renew", "--force", "site", "--output", "json"], extraEnvironment: deadClaim)
        #expect(taken.exitStatus == 0 && taken.standardOutputText.contains("renewed"),
                "a claim later the lineage is free: \(taken.standardOutputText)\(taken.standardErrorText)")
        #expect(try site.currentFingerprint != before)
    }
}

/// A value handed between threads in a test (written once, read after a semaphore).
final class SendableBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
