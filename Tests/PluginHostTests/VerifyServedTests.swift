import Foundation
import OGBasics
@testable import OGHost
@testable import OGPlugins
import OGMaterial
import OGTestSupport
import Testing

/// "Verified" means every new connection gets the new certificate, not one
/// lucky handshake: right after a reload an old nginx worker can still hand
/// out the old certificate for some 40 ms. A TLS server that answers by a
/// scripted pattern stands in for that moment (its header says what it proves).
@Suite struct VerifyServedTests {
    let work: TemporaryDirectory

    init() throws {
        work = try TemporaryDirectory("og-verify-served")
        for name in ["new", "old"] {
            let made = try ProcessRunner.run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                                        "-nodes", "-keyout", work.file("\(name).key"), "-out", work.file("\(name).pem"),
                                                        "-days", "1", "-subj", "/CN=\(name).verify.test"])
            try #require(made.exitStatus == 0, "\(made.standardErrorText)")
        }
    }

    func fingerprint(_ name: String) throws -> String {
        try Certificate.parseAll(LocalFiles.read(work.file("\(name).pem")), what: name)[0].sha256Fingerprint
    }

    /// Starts the scripted server; returns the verify target and a reader of its handshake count.
    func server(_ pattern: String) throws -> (SpawnedDaemon, VerifyTargetInfo, () -> Int) {
        let port = Loopback.freePort()
        let counter = work.file("count-\(pattern.prefix(12))")
        let script = BuiltProducts.repositoryRoot + "/Tests/Fixtures/tls/sequence_server.py"
        let daemon = try SpawnedDaemon("/usr/bin/python3", [script, String(port), work.file("new.pem"), work.file("new.key"),
                                                           work.file("old.pem"), work.file("old.key"), pattern, counter],
                                       port: port, logPath: work.file("server.log"))
        let count = { Int(String(decoding: (try? LocalFiles.read(counter)) ?? [], as: UTF8.self)) ?? 0 }
        return (daemon, VerifyTargetInfo(host: "127.0.0.1", port: Int(port), serverName: "verify.test"), count)
    }

    /// Verifies as a job does: on an executor of its own, so its pauses resume
    /// promptly even while other tests' blocking work fills the cooperative pool.
    func verify(_ target: VerifyTargetInfo, _ fingerprint: String) async throws {
        try await JobExecutor.run(label: "og-host test verify") {
            try await InstallJob.verifyServed(target, fingerprint: fingerprint)
        }
    }

    @Test func oldCertificateAfterTheFirstNewOneIsNotTakenAsVerified() async throws {
        let (daemon, target, handshakes) = try server("NOON")
        defer { daemon.stop() }
        try await verify(target, fingerprint("new"))
        // N, O, O: the two old answers reset the window, so at least three new
        // handshakes followed them before verification returned.
        #expect(handshakes() >= 3 + InstallJob.settleHandshakes, "handshakes: \(handshakes())")
    }

    @Test func serverThatNeverSettlesFailsVerification() async throws {
        let (daemon, target, _) = try server(String(repeating: "NO", count: 2000))
        defer { daemon.stop() }
        await #expect { try await verify(target, fingerprint("new")) } throws: {
            "\($0)".contains("then again the old one")
        }
    }

    /// A cancelled job stops verifying at once (its install then rolls back)
    /// instead of waiting out the verify window.
    @Test func cancelledVerificationStops() async throws {
        let (daemon, target, _) = try server(String(repeating: "NO", count: 2000))
        defer { daemon.stop() }
        let new = try fingerprint("new")
        let verifying = Task { try await verify(target, new) }
        try await Task.sleep(for: .milliseconds(300))
        verifying.cancel()
        let result = await verifying.result
        guard case .failure(let error) = result else {
            Issue.record("verification succeeded against a server that never settles")
            return
        }
        #expect("\(error)".contains("cancelled"), "\(error)")
    }

    /// With every activation's statement that the old configuration retired (ABI 1.2), the first
    /// handshake serving the new leaf is proof: the answers after it are not asked for.
    @Test func afterTheOldConfigurationRetiredOneHandshakeIsProof() async throws {
        let (daemon, target, handshakes) = try server("NOON")
        defer { daemon.stop() }
        try await JobExecutor.run(label: "og-host test verify") {
            try await InstallJob.verifyServed(target, fingerprint: try fingerprint("new"), rule: .oneHandshake)
        }
        #expect(handshakes() == 1, "handshakes: \(handshakes())")
    }

    /// Misses still look again (quickly at first) until the new leaf comes, under either rule.
    @Test func anOldAnswerFirstIsLookedAtAgainUntilTheNewLeafComes() async throws {
        let (daemon, target, handshakes) = try server("OOON")
        defer { daemon.stop() }
        try await JobExecutor.run(label: "og-host test verify") {
            try await InstallJob.verifyServed(target, fingerprint: try fingerprint("new"), rule: .oneHandshake)
        }
        #expect(handshakes() == 4, "handshakes: \(handshakes())")
        #expect(InstallJob.pauseAfterMiss(1) == .milliseconds(5) && InstallJob.pauseAfterMiss(11) == .milliseconds(50))
    }

    @Test func steadyNewCertificateIsVerified() async throws {
        let (daemon, target, handshakes) = try server("N")
        defer { daemon.stop() }
        try await verify(target, fingerprint("new"))
        #expect(handshakes() >= InstallJob.settleHandshakes)
    }
}
