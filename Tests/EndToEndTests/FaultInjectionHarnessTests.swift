import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Kills `tls install` on a real nginx at every instant it has, not only at
/// named points: `OG_FAULT_INJECT=step:N` ends og-host abruptly (exit 70, no
/// clean-up) at the N-th crash point it reaches, and every change on the
/// endpoint has one before and after it (each journal state, each file
/// written, an atomic write's temporary complete but not renamed, each
/// removal, each command). For N = 1, 2, ... until the install completes,
/// `tls recover` must leave nginx in one of two states: the old certificate
/// or the new one, configured on disk and served alike, the configuration
/// passing `nginx -t`, and no backup or temporary left behind.
@Suite(.serialized) struct FaultInjectionHarnessTests {
    let fixture: GatewayFixture
    let pki: TestPKI

    init() throws {
        fixture = try GatewayFixture(plugins: ["nginx"])
        pki = try TestPKI()
    }

    /// A crashed job's lease must run out before recovery may take over: 1 s keeps the loop short.
    let shortLease = ["OG_JOB_LEASE_SECONDS": "1"]

    /// The happy path: every kill before the journal says "verified" must come
    /// back to the old certificate, every later one keep the new; the first
    /// install on beta's node creates its certificate and key files, the case
    /// where a kill after the backups were removed once lost them.
    @Test func killingAnInstallAtEveryStepRecoversToTheOldOrTheNewCertificate() throws {
        let nginx = try NginxTestInstance(pki: pki)
        try nginx.start()
        let added = try fixture.run(["tls", "add", "nginx", "--name", "web"] + nginx.localOptions)
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        try killAtEveryStep(nginx, label: "install")
    }

    /// The same over SSH (SFTP writes, commands through the exit marker), with
    /// nginx and its files belonging to the SSH login.
    @Test func overSSHKillingAnInstallAtEveryStepRecoversToTheOldOrTheNewCertificate() throws {
        let sshd = try SSHServerFixture.start()
        let account = try SSHTestUser.ensure()
        let nginx = try NginxTestInstance(pki: pki, owner: (account.uid, account.gid))
        try nginx.start(asUser: (account.uid, account.gid))
        let added = try fixture.run(["tls", "add", "nginx", "--name", "web", "--connection_type", "ssh",
                                     "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                                     "--ssh_key_path", sshd.clientKeyPath] + nginx.instanceOptions())
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        try killAtEveryStep(nginx, label: "install over SSH", user: (account.uid, account.gid))
    }

    func killAtEveryStep(_ nginx: NginxTestInstance, label: String, user: (uid: uid_t, gid: gid_t)? = nil) throws {
        var points: [String] = []
        var outcomes: [String: Int] = [:]
        var completed = false
        var restoredChecks = 0
        for step in 1...150 {
            let old = try configuredFingerprint(nginx)
            let leaf = try pki.issue("beta-step-\(step)", dnsNames: ["beta.example.test"])
            let new = try pki.fingerprint(leaf.certificate)
            let run = try fixture.run(["tls", "install", "web", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain],
                                      extraEnvironment: shortLease.merging(["OG_FAULT_INJECT": "step:\(step)"]) { $1 })
            if run.exitStatus == 0 {
                #expect(!run.standardErrorText.contains("fault injected"))
                #expect(try configuredFingerprint(nginx) == new)
                try expectConsistent(nginx, servedOneOf: [new], after: "the install that ran past every crash point", user: user)
                completed = true
                break
            }
            try #require(run.exitStatus == 70, "step \(step): \(run.standardErrorText)")
            points.append(Self.point(run.standardErrorText))

            let recovered = try fixture.run(["tls", "recover", "web"], extraEnvironment: shortLease)
            #expect(recovered.exitStatus == 0, "step \(step) (\(points.last!)): \(recovered.standardErrorText)")
            restoredChecks += Self.expectServedAgainAfterRestore(recovered, "step \(step) (\(points.last!))")
            let configured = try configuredFingerprint(nginx)
            #expect(configured == old || configured == new, "step \(step) (\(points.last!)): configured \(configured)")
            outcomes[configured == new ? "new" : "old", default: 0] += 1
            try expectConsistent(nginx, servedOneOf: [old, new], after: "step \(step) (\(points.last!))", user: user)
        }
        print("fault-injection harness (\(label)): killed at \(points.count) points, recovered to old \(outcomes["old", default: 0]) times, new \(outcomes["new", default: 0]) times")
        #expect(completed, "the install never ran past its last crash point")
        // The harness is only as good as the points it reached.
        #expect(points.count >= 20, "\(points)")
        for expected in ["journal backing-up", "journal writing", "journal written", "journal verified", "temporary of",
                         "before run", "after remove"] {
            #expect(points.contains { $0.hasPrefix(expected) }, "no crash point \(expected): \(points)")
        }
        // The verify target's crash point names the server name the probe asks for (SNI).
        #expect(points.contains { $0.hasPrefix("verified 127.0.0.1:") && $0.hasSuffix(" (beta.example.test)") }, "\(points)")
        #expect(outcomes["old", default: 0] > 0 && outcomes["new", default: 0] > 0, "\(outcomes)")
        #expect(restoredChecks > 0, "no recovery restored files")
    }

    /// A recovery that restored files says the previous certificate is served again (the journal
    /// recorded what nginx served before the job). Returns 1 when it restored files, else 0.
    static func expectServedAgainAfterRestore(_ recovered: ProcessOutput, _ context: String) -> Int {
        let said = recovered.standardOutputText + recovered.standardErrorText
        guard said.contains("files restored") else { return 0 }
        #expect(said.contains("serves the previous certificate again") && !said.contains("does NOT serve"), "\(context): \(said)")
        return 1
    }

    /// The rollback path: nginx refuses to reload the new configuration, so
    /// every install rolls back; killing it at every step of the install and
    /// of its rollback must still recover to the old certificate.
    @Test func killingAFailingInstallAtEveryStepOfItsRollbackRecoversTheOldCertificate() throws {
        let nginx = try NginxTestInstance(pki: pki)
        try nginx.start()
        let wrapper = nginx.directory.file("nginx-refusing-reload")
        // Reloads fail while the configuration names og-host's new files, and work once it is restored.
        try LocalFiles.writeAtomically(wrapper, contents: Array("""
            #!/bin/sh
            case "$*" in *"-s reload"*)
              if grep -q 'og-beta' \(nginx.directory.file("sites-available/sites")); then
                echo "nginx: [emerg] reload refused by the test" >&2; exit 1
              fi;;
            esac
            exec \(NginxTestInstance.binary) "$@"

            """.utf8), mode: 0o755)
        let added = try fixture.run(["tls", "add", "nginx", "--name", "web"] + nginx.options(binary: wrapper))
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        let before = try nginx.configurationSnapshot()
        let old = try configuredFingerprint(nginx)
        let leaf = try pki.issue("beta-refused", dnsNames: ["beta.example.test"])

        var points: [String] = []
        var completed = false
        var restoredChecks = 0
        for step in 1...150 {
            let run = try fixture.run(["tls", "install", "web", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain],
                                      extraEnvironment: shortLease.merging(["OG_FAULT_INJECT": "step:\(step)"]) { $1 })
            if run.exitStatus != 70 {
                #expect(run.exitStatus == 6, "the install rolls back: \(run.standardErrorText)")
                #expect(!run.standardErrorText.contains("fault injected"))
                #expect(!run.standardErrorText.contains("ROLLBACK INCOMPLETE"), "\(run.standardErrorText)")
                completed = true
                break
            }
            points.append(Self.point(run.standardErrorText))
            let recovered = try fixture.run(["tls", "recover", "web"], extraEnvironment: shortLease)
            #expect(recovered.exitStatus == 0, "step \(step) (\(points.last!)): \(recovered.standardErrorText)")
            restoredChecks += Self.expectServedAgainAfterRestore(recovered, "step \(step) (\(points.last!))")
            #expect(try nginx.configurationSnapshot() == before, "step \(step) (\(points.last!)): configuration restored")
            try expectConsistent(nginx, servedOneOf: [old], after: "step \(step) (\(points.last!))")
        }
        print("fault-injection harness (rollback): killed at \(points.count) points")
        #expect(completed)
        #expect(restoredChecks > 0, "no recovery restored files")
        #expect(points.count >= 20, "\(points)")
        // Kills inside the rollback itself: only a rollback removes files here (the created certificate and key).
        #expect(points.contains { $0.hasPrefix("journal written") } && points.contains { $0.hasPrefix("after remove") },
                "\(points)")
    }

    // MARK: - Checks

    /// The crash point og-host named before dying.
    static func point(_ standardError: String) -> String {
        guard let range = standardError.range(of: "fault injected at step ") else { return "?" }
        // The line is "… step N (NAME)"; a name may hold parentheses itself ("verified HOST:PORT (SNI)").
        let line = standardError[range.upperBound...].prefix { $0 != "\n" }
        guard let open = line.firstIndex(of: "("), let close = line.lastIndex(of: ")"), open < close else { return "?" }
        return String(line[line.index(after: open)..<close])
    }

    /// The fingerprint of the certificate file beta's block names on disk.
    func configuredFingerprint(_ nginx: NginxTestInstance) throws -> String {
        let sites = try nginx.text("sites-available/sites")
        let line = try #require(sites.split(separator: "\n").first { $0.contains("# beta's { certificate }") })
        let words = line.split(whereSeparator: { $0 == " " || $0 == ";" })
        let path = String(try #require(words.dropFirst().first))
        return try pki.fingerprint(path)
    }

    /// nginx -t passes, what is served is what the configuration names (after
    /// a reload too, so memory and disk agree) and is one of `expected`, and
    /// no backup or temporary is left anywhere in the tree.
    func expectConsistent(_ nginx: NginxTestInstance, servedOneOf expected: [String], after context: String,
                          user: (uid: uid_t, gid: gid_t)? = nil) throws {
        // As the account nginx runs as, so root never creates files in its tree.
        func nginxCommand(_ arguments: [String]) throws -> ProcessOutput {
            let all = arguments + ["-p", nginx.path, "-c", nginx.configFile, "-e", nginx.directory.file("logs/error.log")]
            guard let user else { return try ProcessRunner.run(NginxTestInstance.binary, all) }
            return try ProcessRunner.run("/usr/bin/setpriv", ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups",
                                                              NginxTestInstance.binary] + all)
        }
        let test = try nginxCommand(["-t", "-q"])
        #expect(test.exitStatus == 0, "\(context): nginx -t fails: \(test.standardErrorText)")
        let configured = try configuredFingerprint(nginx)
        #expect(expected.contains(configured), "\(context): configured \(configured)")
        #expect(try servedSettles(nginx, on: configured), "\(context): nginx does not serve what its configuration names")
        let reload = try nginxCommand(["-s", "reload"])
        #expect(reload.exitStatus == 0, "\(context): \(reload.standardErrorText)")
        #expect(try servedSettles(nginx, on: configured), "\(context): after a reload nginx serves something else")
        let strays = (FileManager.default.enumerator(atPath: nginx.path)?.allObjects as? [String] ?? [])
            .filter { $0.contains(".og-tmp-") || $0.contains(".og-backup-") }
        #expect(strays.isEmpty, "\(context): left behind: \(strays)")
    }

    /// Whether beta's served leaf becomes `fingerprint` within 5 s (a reload
    /// replaces nginx's workers asynchronously).
    func servedSettles(_ nginx: NginxTestInstance, on fingerprint: String) throws -> Bool {
        for _ in 0..<50 {
            if try nginx.servedFingerprint("beta.example.test") == fingerprint { return true }
            usleep(100_000)
        }
        return false
    }
}
