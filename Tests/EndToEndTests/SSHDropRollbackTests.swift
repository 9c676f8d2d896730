import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The SSH connection of an install drops after the new files were written
/// (sshd's session processes killed while the job waits at a pause point):
/// the rollback reconnects and finishes, so nginx keeps the old certificate,
/// the configuration is byte-identical and no backup stays. When no new
/// connection can be made, the job stays open in the journal for recovery.
@Suite(.serialized) struct SSHDropRollbackTests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let sshd: SSHServerFixture
    let nginx: NginxTestInstance
    let work: TemporaryDirectory

    init() throws {
        sshd = try SSHServerFixture.start()
        let account = try SSHTestUser.ensure()
        fixture = try GatewayFixture(plugins: ["nginx"])
        pki = try TestPKI()
        nginx = try NginxTestInstance(pki: pki, owner: (account.uid, account.gid))
        try nginx.start(asUser: (account.uid, account.gid))
        work = try TemporaryDirectory("og-ssh-drop")
        let added = try fixture.run(["tls", "add", "nginx", "--name", "remote", "--connection_type", "ssh",
                                     "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                                     "--ssh_key_path", sshd.clientKeyPath] + nginx.instanceOptions())
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
    }

    /// Runs an install that pauses once the journal says the files are written,
    /// does `whileDropped` (the sessions are already killed), lets it go on and returns its output.
    func installDroppingTheConnection(_ whileDropped: () -> Void = {}) throws -> ProcessOutput {
        let leaf = try pki.issue("beta-dropped", dnsNames: ["beta.example.test"])
        let resume = work.file("resume")
        let box = OutputBox()
        let finished = DispatchSemaphore(value: 0)
        let arguments = ["tls", "install", "remote", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain]
        let environment = ["OG_FAULT_INJECT": "journal written:pause", "OG_FAULT_RESUME": resume]
        let thread = Thread { [fixture] in
            box.output = try? fixture.run(arguments, extraEnvironment: environment)
            finished.signal()
        }
        thread.start()
        var reached = false
        for _ in 0..<600 where !reached {
            reached = FileManager.default.fileExists(atPath: resume + ".reached")
            if !reached { usleep(100_000) }
        }
        #expect(reached, "the install never reached the point after writing")
        sshd.killSessions()
        whileDropped()
        _ = FileManager.default.createFile(atPath: resume, contents: Data())
        finished.wait()
        return try #require(box.output)
    }

    @Test func aConnectionDroppedAfterTheWritesIsReopenedAndTheRollbackFinishes() throws {
        let before = try nginx.configurationSnapshot()
        let served = try nginx.servedFingerprint("beta.example.test")
        let result = try installDroppingTheConnection()
        #expect(result.exitStatus == 6, "rolled back: \(result.standardErrorText)")
        let text = result.standardOutputText + result.standardErrorText
        #expect(text.contains("reconnected to the endpoint"), "\(text)")
        #expect(!result.standardErrorText.contains("ROLLBACK INCOMPLETE"), "\(result.standardErrorText)")
        #expect(try nginx.configurationSnapshot() == before, "configuration restored, new files removed, no backup left")
        #expect(try nginx.servedFingerprint("beta.example.test") == served)
        let recovered = try fixture.run(["tls", "recover", "remote"])
        #expect(recovered.standardOutputText.contains("has no interrupted install"), "\(recovered.standardOutputText)")
    }

    @Test func aConnectionThatCannotBeReopenedLeavesTheJobOpenForRecovery() throws {
        let result = try installDroppingTheConnection { sshd.stop() }
        #expect(result.exitStatus == 7, "inconsistent: \(result.standardErrorText)")
        #expect(result.standardErrorText.contains("ROLLBACK INCOMPLETE"), "\(result.standardErrorText)")
        #expect(result.standardErrorText.contains("stays open in the journal"), "\(result.standardErrorText)")
        // The journal entry is still open: recovery tries it (and cannot reach the endpoint either).
        let recovered = try fixture.run(["tls", "recover", "remote"])
        #expect(recovered.exitStatus != 0)
        #expect(!recovered.standardOutputText.contains("has no interrupted install"), "\(recovered.standardOutputText)")
    }
}

private final class OutputBox: @unchecked Sendable {
    var output: ProcessOutput?
}
