import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Issue 11: an endpoint's job is ONE transaction across every node asked
/// for. Real nginx with two TLS server blocks (alpha and beta) written in the
/// same site file, so the second node's plan must compose with the first
/// node's edit of that file. One config test and one reload for both; a
/// failure after either node was written, or a crash, rolls back both:
/// `nginx -t` passes, the configuration is byte-identical and both still
/// serve the old leaf (openssl s_client).
@Suite struct MultiNodeTransactionTests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let nginx: NginxTestInstance
    let nodes: [String]

    init() throws {
        fixture = try GatewayFixture(plugins: ["nginx"])
        pki = try TestPKI()
        nginx = try NginxTestInstance(pki: pki)
        try nginx.start()
        let added = try fixture.run(["tls", "add", "nginx", "--name", "web"] + nginx.localOptions)
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        nodes = ["alpha.example.test:\(nginx.tlsPort)", "beta.example.test:\(nginx.tlsPort)"]
    }

    func install(_ leaf: (certificate: String, key: String), nodes: [String], environment: [String: String] = [:]) throws -> ProcessOutput {
        try fixture.run(["tls", "install", "web", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain, "--verbose"]
                            + nodes.flatMap { ["--node", $0] }, extraEnvironment: environment)
    }

    /// Both nodes installed with `leaf`: the baseline every failure must come back to.
    func installBoth(_ name: String) throws -> ((certificate: String, key: String), String) {
        let leaf = try pki.issue(name, dnsNames: ["alpha.example.test", "beta.example.test"])
        let installed = try install(leaf, nodes: nodes)
        try #require(installed.exitStatus == 0, "\(installed.standardErrorText)\(installed.standardOutputText)")
        return (leaf, try pki.fingerprint(leaf.certificate))
    }

    func expectBothServe(_ fingerprint: String, _ what: String) throws {
        #expect(try nginx.servedFingerprint("alpha.example.test") == fingerprint, "alpha: \(what)")
        #expect(try nginx.servedFingerprint("beta.example.test") == fingerprint, "beta: \(what)")
    }

    @Test func bothNodesAreOneJobWithOneConfigTestAndOneReload() throws {
        let leaf = try pki.issue("both", dnsNames: ["alpha.example.test", "beta.example.test"])
        let installed = try install(leaf, nodes: nodes)
        #expect(installed.exitStatus == 0, "\(installed.standardErrorText)\(installed.standardOutputText)")
        try expectBothServe(try pki.fingerprint(leaf.certificate), "installed")
        let log = installed.standardErrorText.split(separator: "\n")
        let jobs = Set(log.compactMap { line in line.range(of: "job ").map { line[$0.upperBound...].prefix(36) } }
                        .filter { $0.count == 36 })
        #expect(jobs.count == 1, "one job for both nodes: \(jobs)")
        let reloads = log.filter { $0.contains("ran ") && $0.contains("-s reload -> exit 0") }
        let replayed = log.filter { $0.contains("not run again for this node") && $0.contains("-s reload") }
        #expect(reloads.count == 1, "nginx reloaded once for both nodes:\n\(installed.standardErrorText)")
        #expect(replayed.count == 1, "the second node's reload was answered from the first's:\n\(installed.standardErrorText)")
        let tests = log.filter { $0.contains("configuration test passed") }
        #expect(tests.count == 1, "one configuration test")
        #expect(try nginx.configTest().exitStatus == 0)
        #expect(nginx.strayFiles().isEmpty, "\(nginx.strayFiles())")
    }

    @Test func aConfigTestFailingAfterBothNodesWereWrittenRollsBackBoth() throws {
        let (_, old) = try installBoth("old")
        let before = try nginx.configurationSnapshot()
        try nginx.write("conf.d/broken.conf", "og_no_such_directive on;\n")
        let next = try pki.issue("new", dnsNames: ["alpha.example.test", "beta.example.test"])
        let failed = try install(next, nodes: nodes)
        #expect(failed.exitStatus == 6, "rolled back: \(failed.standardErrorText)")
        #expect(failed.standardErrorText.contains("every node of 'web' was rolled back"), "\(failed.standardErrorText)")
        try FileManager.default.removeItem(atPath: nginx.directory.file("conf.d/broken.conf"))
        #expect(try nginx.configTest().exitStatus == 0)
        #expect(try nginx.configurationSnapshot() == before, "both nodes' files are back byte for byte")
        try expectBothServe(old, "still the old leaf")
        #expect(nginx.strayFiles().isEmpty, "\(nginx.strayFiles())")
    }

    @Test func aSecondNodeThatFailsRollsBackTheFirstNodesWrittenFiles() throws {
        let (_, old) = try installBoth("old")
        let before = try nginx.configurationSnapshot()
        let next = try pki.issue("new", dnsNames: ["alpha.example.test", "beta.example.test"])
        // The first node is planned and written; the second cannot be planned (no such server block).
        let failed = try install(next, nodes: [nodes[0], "gamma.example.test:\(nginx.tlsPort)"])
        #expect(failed.exitStatus == 6, "rolled back: \(failed.standardErrorText)")
        #expect(failed.standardErrorText.contains("wrote "), "the first node was written before the second failed")
        #expect(failed.standardErrorText.contains("gamma.example.test"), "\(failed.standardErrorText)")
        #expect(try nginx.configTest().exitStatus == 0)
        #expect(try nginx.configurationSnapshot() == before, "the first node's files are back byte for byte")
        try expectBothServe(old, "still the old leaf")
        #expect(nginx.strayFiles().isEmpty, "\(nginx.strayFiles())")
    }

    @Test func aCrashAfterBothNodesWereWrittenIsRecoveredForBoth() throws {
        let (_, old) = try installBoth("old")
        let before = try nginx.configurationSnapshot()
        let next = try pki.issue("new", dnsNames: ["alpha.example.test", "beta.example.test"])
        let crashed = try install(next, nodes: nodes, environment: ["OG_FAULT_INJECT": "before-activate"])
        #expect(crashed.exitStatus == 70, "\(crashed.standardErrorText)")
        #expect(try nginx.configurationSnapshot() != before, "the crash came after both nodes' files were written")

        let recovered = try fixture.run(["tls", "recover", "web"])
        #expect(recovered.exitStatus == 0, "\(recovered.standardErrorText)\(recovered.standardOutputText)")
        #expect(try nginx.configTest().exitStatus == 0)
        #expect(try nginx.configurationSnapshot() == before, "both nodes' files are back byte for byte")
        try expectBothServe(old, "still the old leaf")
        #expect(nginx.strayFiles().isEmpty, "\(nginx.strayFiles())")

        let again = try install(next, nodes: nodes)
        #expect(again.exitStatus == 0, "\(again.standardErrorText)")
        try expectBothServe(try pki.fingerprint(next.certificate), "installed after recovery")
    }
}
