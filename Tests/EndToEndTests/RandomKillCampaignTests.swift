import Foundation
import OGBasics
import OGTestSupport
import Testing

/// "Every instant of an install", beyond the named crash points: `tls install`
/// on a real nginx is started and `kill -9`ed after a random delay — the
/// command (its job's process then ends itself), the job's process alone (the
/// command recovers it in another child), or both at once — then `tls recover`
/// runs and the invariants are checked: `nginx -t` passes, the leaf served is
/// the one the configuration names, old or new (after a reload too), the
/// journal is closed (a second recover finds nothing) and no backup or
/// temporary is left.
///
/// Seeded: `OG_KILL_SEED` (default: random) and `OG_KILL_ROUNDS` (default 10)
/// choose the rounds (the delays; the targets take turns); the seed is printed first, and every round line carries
/// its delay and target, so a failure reproduces with the same seed.
/// `tools/kill-campaign.sh ROUNDS [SEED]` runs long campaigns through this test.
@Suite struct RandomKillCampaignTests {
    enum Target: String, CaseIterable { case command, job, both }

    @Test func killingInstallsAtRandomInstantsAlwaysRecovers() throws {
        let environment = EnvironmentVariable.all()
        let seed = environment["OG_KILL_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64(UInt32.max))
        let rounds = environment["OG_KILL_ROUNDS"].flatMap { Int($0) } ?? 10
        print("random kill campaign: seed \(seed), \(rounds) rounds (OG_KILL_SEED=\(seed) OG_KILL_ROUNDS=\(rounds) to repeat)")
        var random = SeededRandom(seed)

        let fixture = try GatewayFixture(plugins: ["nginx"])
        let pki = try TestPKI()
        let nginx = try NginxTestInstance(pki: pki)
        try nginx.start()
        defer { nginx.stop() }
        let added = try fixture.run(["tls", "add", "nginx", "--name", "web"] + nginx.localOptions)
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        let lease = ["OG_JOB_LEASE_SECONDS": "1"]
        let checks = FaultInjectionHarnessTests(fixture: fixture, pki: pki)

        // How long one whole install takes here: the delays spread over 0...1.3 × that.
        let first = try pki.issue("kill-warmup", dnsNames: ["beta.example.test"])
        let clock = ContinuousClock.now
        let warm = try fixture.run(["tls", "install", "web", "--cert", first.certificate, "--key", first.key, "--chain", pki.chain])
        try #require(warm.exitStatus == 0, "\(warm.standardErrorText)")
        let span = max(0.2, Double((ContinuousClock.now - clock).components.seconds) * 1.3 + Double((ContinuousClock.now - clock).components.attoseconds) / 1e18 * 1.3)

        var tally: [String: Int] = [:]
        for round in 1...rounds {
            let delay = Double.random(in: 0..<span, using: &random)
            // Targets take turns (from an offset the seed chooses), so even a short campaign kills each kind.
            let target = Target.allCases[(round - 1 + Int(seed % 3)) % Target.allCases.count]
            let old = try checks.configuredFingerprint(nginx)
            let leaf = try pki.issue("kill-\(seed)-\(round)", dnsNames: ["beta.example.test"])
            let new = try pki.fingerprint(leaf.certificate)

            let log = fixture.root.file("kill-\(round).log")
            FileManager.default.createFile(atPath: log, contents: nil)
            let install = Process()
            install.executableURL = URL(fileURLWithPath: BuiltProducts.ogHost)
            install.arguments = ["tls", "install", "web", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain]
            install.environment = environment.merging(fixture.environment.merging(lease) { $1 }) { $1 }
            install.standardOutput = FileHandle(forWritingAtPath: log)
            install.standardError = FileHandle(forWritingAtPath: log)
            try install.run()
            usleep(UInt32(delay * 1_000_000))
            let job = EndpointLockTests.children(of: install.processIdentifier).first
            var killed = "nothing (it had ended)"
            if install.isRunning {
                switch target {
                case .command:
                    kill(install.processIdentifier, SIGKILL)
                    killed = "the command"
                case .job:
                    if let job { kill(job, SIGKILL) } else { kill(install.processIdentifier, SIGKILL) }
                    killed = job == nil ? "the command (no job yet)" : "the job"
                case .both:
                    if let job { kill(job, SIGKILL) }
                    kill(install.processIdentifier, SIGKILL)
                    killed = job == nil ? "the command (no job yet)" : "the command and the job"
                }
            }
            install.waitUntilExit()
            // A job killed with its command ends within ParentWatch's 100 ms poll.
            if let job { for _ in 0..<100 where EndpointLockTests.isAlive(job) { usleep(50_000) } }
            let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            let ended = install.terminationReason == .uncaughtSignal ? "signal \(install.terminationStatus)"
                                                                      : "exit \(install.terminationStatus)"
            let context = "round \(round) (seed \(seed), \(Int(delay * 1000)) ms, killed \(killed), \(ended))"
            if install.terminationReason == .exit {
                // The command lived: it finished, or recovered its killed job itself (rolled back, or kept a
                // verified install), or its job died before changing anything (failed, exit 1, and says so).
                let untouched = install.terminationStatus == 1 && said.contains("nothing had been changed on the endpoint")
                #expect([0, 6].contains(install.terminationStatus) || untouched, "\(context): \(said)")
                // (Exit 0 after a job kill: the job had finished, or had verified and recovery kept the new leaf.)
                if target == .job, job != nil, install.terminationStatus != 0 {
                    #expect(said.contains("the job's process was killed by signal 9 (SIGKILL)"), "\(context): \(said)")
                }
            }

            let recovered = try fixture.run(["tls", "recover", "web", "--wait", "10"], extraEnvironment: lease)
            #expect(recovered.exitStatus == 0, "\(context): \(recovered.standardErrorText)")
            // Whether this kill left an interrupted install behind (the window that matters), here or in the command's own recovery.
            if recovered.standardOutputText.contains(" recovered: ") || said.contains("recovered in a new process") {
                tally["journal open at the kill", default: 0] += 1
            }
            let configured = try checks.configuredFingerprint(nginx)
            #expect(configured == old || configured == new, "\(context): configured \(configured)")
            try checks.expectConsistent(nginx, servedOneOf: [old, new], after: context)
            let again = try fixture.run(["tls", "recover", "web"], extraEnvironment: lease)
            #expect(again.standardOutputText.contains("has no interrupted install"), "\(context): journal still open: \(again.standardOutputText)")
            let outcome = configured == new ? "new" : "old"
            tally["\(target.rawValue) → \(outcome)", default: 0] += 1
            print("kill campaign \(context): recovered to \(outcome)")
        }
        print("random kill campaign: seed \(seed), \(rounds) rounds: \(tally.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
    }
}

extension FaultInjectionHarnessTests {
    /// The harness's checks (configured fingerprint, consistency) over another test's gateway and PKI.
    init(fixture: GatewayFixture, pki: TestPKI) {
        self.fixture = fixture
        self.pki = pki
    }
}
