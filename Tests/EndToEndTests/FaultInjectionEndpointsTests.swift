import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `FaultInjectionHarnessTests`' kill-at-every-step harness beyond nginx: a
/// real apache2 (configuration rewritten, graceful restart) and a PKCS#12
/// keystore reached over a real sshd (SFTP writes of a binary store). For
/// N = 1, 2, ... `tls install` is killed at its N-th crash point
/// (`OG_FAULT_INJECT=step:N`), `tls recover` runs, and then: Apache's
/// configuration test passes and what it serves is what its configuration
/// names, old or new; the keystore opens with `openssl pkcs12` and holds one
/// key entry whose certificate is the old or the new one and whose key belongs
/// to it; and no backup or temporary is left. The two tests run in parallel
/// (each has its own servers and data directory).
@Suite struct FaultInjectionEndpointsTests {
    /// A crashed job's lease must run out before recovery may take over: 1 s keeps the loop short.
    static let shortLease = ["OG_JOB_LEASE_SECONDS": "1"]

    /// The loop itself: `attempt(step)` runs one install armed at `step` and
    /// returns it with the old and new fingerprints; `check` judges the endpoint
    /// after a recovery (or a completed install) and returns the fingerprint it holds.
    static func killAtEveryStep(label: String, fixture: GatewayFixture, endpoint: String, servesTLS: Bool,
                                attempt: (Int) throws -> (run: ProcessOutput, old: String, new: String),
                                check: (_ context: String, _ allowed: [String]) throws -> String) throws -> [String] {
        let started = ContinuousClock.now
        var points: [String] = []
        var outcomes: [String: Int] = [:]
        var completed = false
        var restoredChecks = 0
        for step in 1...150 {
            let (run, old, new) = try attempt(step)
            if run.exitStatus == 0 {
                #expect(!run.standardErrorText.contains("fault injected"))
                #expect(try check("the install that ran past every crash point", [new]) == new)
                completed = true
                break
            }
            try #require(run.exitStatus == 70, "\(label) step \(step): \(run.standardErrorText)")
            points.append(FaultInjectionHarnessTests.point(run.standardErrorText))
            let recovered = try fixture.run(["tls", "recover", endpoint], extraEnvironment: shortLease)
            #expect(recovered.exitStatus == 0, "\(label) step \(step) (\(points.last!)): \(recovered.standardErrorText)")
            if servesTLS {
                restoredChecks += FaultInjectionHarnessTests.expectServedAgainAfterRestore(recovered, "\(label) step \(step) (\(points.last!))")
            }
            let held = try check("\(label) step \(step) (\(points.last!))", [old, new])
            outcomes[held == new ? "new" : "old", default: 0] += 1
        }
        print("fault-injection harness (\(label)): killed at \(points.count) points, recovered to old "
              + "\(outcomes["old", default: 0]) times, new \(outcomes["new", default: 0]) times, "
              + "in \((ContinuousClock.now - started).components.seconds) s")
        #expect(completed, "\(label): the install never ran past its last crash point")
        #expect(points.count >= 10, "\(points)")
        for expected in ["journal backing-up", "journal writing", "journal written", "journal verified", "temporary of"] {
            #expect(points.contains { $0.hasPrefix(expected) }, "\(label): no crash point \(expected): \(points)")
        }
        #expect(outcomes["old", default: 0] > 0 && outcomes["new", default: 0] > 0, "\(label): \(outcomes)")
        #expect(!servesTLS || restoredChecks > 0, "\(label): no recovery restored files")
        return points
    }

    /// Backups and temporaries og-host would have left under `directory`.
    static func strays(under directory: String) -> [String] {
        (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? [])
            .filter { $0.contains(".og-tmp-") || $0.contains(".og-backup-") }
    }

    // MARK: - Apache

    @Test func apacheKilledAtEveryStepRecoversToTheOldOrTheNewCertificate() throws {
        let fixture = try GatewayFixture(plugins: ["apache"])
        let pki = try TestPKI()
        let work = try TemporaryDirectory("og-fault-apache")
        let apache = try ApacheInstance(in: work.path, ownedBy: work, pki: pki)
        try apache.start()
        defer { apache.stop() }
        let added = try fixture.run(["tls", "add", "apache", "--name", "web", "--connection_type", "local"] + apache.addOptions())
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")

        /// The certificate file shop's virtual host names on disk (its first SSLCertificateFile).
        func configuredFingerprint() throws -> String {
            let site = try String(contentsOfFile: apache.file("sites-available/shop.conf"), encoding: .utf8)
            let line = try #require(site.split(separator: "\n").first {
                $0.trimmingCharacters(in: .whitespaces).hasPrefix("SSLCertificateFile ")
            })
            let path = line.trimmingCharacters(in: .whitespaces).dropFirst("SSLCertificateFile ".count)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
                .replacingOccurrences(of: "${CERTS}", with: apache.file("certs"))
            return try pki.fingerprint(path)
        }
        func control(_ arguments: [String]) throws -> ProcessOutput {
            try ProcessRunner.run(ApacheInstance.binary, ["-d", apache.root, "-f", apache.configFile] + arguments)
        }
        func servedSettles(on fingerprint: String) throws -> Bool {
            for _ in 0..<50 {
                if try apache.servedFingerprint("shop.example.test") == fingerprint { return true }
                usleep(100_000)
            }
            return false
        }
        _ = try Self.killAtEveryStep(label: "apache", fixture: fixture, endpoint: "web", servesTLS: true, attempt: { step in
            let old = try configuredFingerprint()
            let leaf = try pki.issue("shop-step-\(step)", dnsNames: ["shop.example.test"])
            let run = try fixture.run(["tls", "install", "web", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain],
                                      extraEnvironment: Self.shortLease.merging(["OG_FAULT_INJECT": "step:\(step)"]) { $1 })
            return (run, old, try pki.fingerprint(leaf.certificate))
        }, check: { context, allowed in
            let test = try control(["-t"])
            #expect(test.exitStatus == 0, "\(context): apache2 -t fails: \(test.standardErrorText)")
            let configured = try configuredFingerprint()
            #expect(allowed.contains(configured), "\(context): configured \(configured)")
            #expect(apache.isRunning, "\(context): httpd died: \(apache.errorLog)")
            #expect(try servedSettles(on: configured), "\(context): httpd does not serve what its configuration names")
            let graceful = try control(["-k", "graceful"])
            #expect(graceful.exitStatus == 0, "\(context): \(graceful.standardErrorText)")
            #expect(try servedSettles(on: configured), "\(context): after a graceful restart httpd serves something else")
            #expect(Self.strays(under: apache.root).isEmpty, "\(context): left behind: \(Self.strays(under: apache.root))")
            return configured
        })
    }

    // MARK: - PKCS#12 over SSH

    @Test func pkcs12OverSSHKilledAtEveryStepHoldsTheOldOrTheNewEntry() throws {
        let sshd = try SSHServerFixture.start()
        let fixture = try GatewayFixture(plugins: ["keystore"])
        let files = try KeystoreTestFiles()
        let owner = try FileManager.default.attributesOfItem(atPath: sshd.workDirectory)
        let uid = uid_t(owner[.ownerAccountID] as? Int ?? 0), gid = gid_t(owner[.groupOwnerAccountID] as? Int ?? 0)
        let store = "\(sshd.workDirectory)/fault.p12"
        try LocalFiles.writeAtomically(store, contents: try files.bytes(try files.p12("fault.p12", alias: "web")), mode: 0o600)
        chown(store, uid, gid)
        let added = try fixture.run(["tls", "add", "p12", "--name", "store", "--connection_type", "ssh", "--host", sshd.host,
                                     "--port", String(sshd.port), "--user", sshd.user, "--ssh_key_path", sshd.clientKeyPath,
                                     "--path", store, "--store_password", "env:STORE_PASS"],
                                    extraEnvironment: files.passwordEnvironment)
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")

        /// The one key entry's certificate, after checking the store opens and the key belongs to it.
        func heldEntry(_ context: String) throws -> String {
            let environment = EnvironmentVariable.all().merging(["OG_TEST_STORE_PASS": files.password]) { $1 }
            let opened = try ProcessRunner.run("openssl", ["pkcs12", "-in", store, "-passin", "env:OG_TEST_STORE_PASS", "-nodes",
                                                           "-clcerts", "-nokeys"], environment: environment)
            try #require(opened.exitStatus == 0, "\(context): openssl pkcs12 cannot open the store: \(opened.standardErrorText)")
            let certificates = opened.standardOutputText.components(separatedBy: "-----BEGIN CERTIFICATE-----").count - 1
            #expect(certificates == 1, "\(context): \(certificates) leaf certificates in the store")
            let keys = try ProcessRunner.run("openssl", ["pkcs12", "-in", store, "-passin", "env:OG_TEST_STORE_PASS", "-nodes",
                                                         "-nocerts"], environment: environment)
            try #require(keys.exitStatus == 0, "\(context): \(keys.standardErrorText)")
            #expect(keys.standardOutputText.components(separatedBy: "PRIVATE KEY-----").count - 1 == 2,
                    "\(context): not exactly one private key")
            #expect(opened.standardOutputText.contains("friendlyName: web"), "\(context): the entry is not named web")
            let certificatePublic = try ProcessRunner.run("openssl", ["x509", "-noout", "-pubkey"],
                                                          standardInput: opened.standardOutput)
            let keyPublic = try ProcessRunner.run("openssl", ["pkey", "-pubout"], standardInput: keys.standardOutput)
            #expect(certificatePublic.exitStatus == 0 && certificatePublic.standardOutput == keyPublic.standardOutput,
                    "\(context): the entry's key does not belong to its certificate")
            let fingerprint = try ProcessRunner.run("openssl", ["x509", "-noout", "-fingerprint", "-sha256"],
                                                    standardInput: opened.standardOutput)
            return fingerprint.standardOutputText.split(separator: "=").last.map {
                $0.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            } ?? ""
        }
        _ = try Self.killAtEveryStep(label: "PKCS#12 over SSH", fixture: fixture, endpoint: "store", servesTLS: false, attempt: { step in
            let old = try heldEntry("before step \(step)")
            let leaf = try files.pki.issue("p12-step-\(step)", dnsNames: ["web.example.test"])
            let run = try fixture.run(["tls", "install", "store", "--cert", leaf.certificate, "--key", leaf.key,
                                       "--chain", files.pki.chain, "--alias", "web"],
                                      extraEnvironment: Self.shortLease.merging(["OG_FAULT_INJECT": "step:\(step)"]) { $1 })
            return (run, old, try files.pki.fingerprint(leaf.certificate))
        }, check: { context, allowed in
            let held = try heldEntry(context)
            #expect(allowed.contains(held), "\(context): the store holds \(held)")
            #expect(Self.strays(under: sshd.workDirectory).isEmpty, "\(context): left behind: \(Self.strays(under: sshd.workDirectory))")
            return held
        })
    }
}
