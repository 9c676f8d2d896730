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

    /// A crash at any instant from the second node on (its plan, journal
    /// entry and writes, the config test, the one reload, each node's
    /// verification, the journal's `verified`): `tls recover` brings BOTH
    /// nodes back together, to the old leaf (files byte-identical) or, once
    /// the job was verified, the new one; never one node old and the other
    /// new. The steps before the second node, and the clean-up after
    /// `verified`, are those of a one-node install (`FaultInjectionHarnessTests`).
    @Test func aCrashAtEveryStepFromTheSecondNodeOnIsRecoveredForBothNodesTogether() throws {
        var (_, current) = try installBoth("old")
        var before = try nginx.configurationSnapshot()
        let shortLease = ["OG_JOB_LEASE_SECONDS": "1"]
        func crashAndRecover(_ fault: String) throws -> (ran: Bool, point: String, new: String) {
            let leaf = try pki.issue("crash-\(fault.replacingOccurrences(of: " ", with: "-").replacingOccurrences(of: ":", with: "-"))",
                                     dnsNames: ["alpha.example.test", "beta.example.test"])
            let new = try pki.fingerprint(leaf.certificate)
            let run = try install(leaf, nodes: nodes, environment: shortLease.merging(["OG_FAULT_INJECT": fault]) { $1 })
            if run.exitStatus == 0 { return (true, "", new) }
            try #require(run.exitStatus == 70, "\(fault): \(run.standardErrorText)")
            let point = run.standardErrorText.components(separatedBy: "fault injected at step ").last.map {
                String($0.prefix { $0 != "\n" }) } ?? "?"
            let recovered = try fixture.run(["tls", "recover", "web"], extraEnvironment: shortLease)
            #expect(recovered.exitStatus == 0, "\(point): \(recovered.standardErrorText)")
            return (false, point, new)
        }
        // Where the second node starts: its step number.
        let start = try crashAndRecover("before node 2")
        let first = try #require(Int(start.point.prefix { $0.isNumber }), "\(start.point)")
        #expect(start.point.hasSuffix("(before node 2)"))
        var points: [String] = [start.point]
        var outcomes: [String: Int] = [:]
        var verified = false
        /// The leaf each node's certificate file holds (the paths every install here writes).
        func configured() throws -> [String] {
            try ["alpha", "beta"].map { try pki.fingerprint(nginx.directory.file("og-\($0).example.test_\(nginx.tlsPort).crt")) }
        }
        /// Whether both nodes serve `fingerprint` within 5 s: a reload replaces nginx's workers
        /// asynchronously, and `tls recover` does not wait for that.
        func bothServe(_ fingerprint: String) throws -> Bool {
            for _ in 0..<50 {
                if try nginx.servedFingerprint("alpha.example.test") == fingerprint,
                   try nginx.servedFingerprint("beta.example.test") == fingerprint { return true }
                usleep(100_000)
            }
            return false
        }
        for step in first...(first + 80) {
            let crash = step == first ? start : try crashAndRecover("step:\(step)")
            let context = "step \(step) (\(crash.point))"
            #expect(try nginx.configTest().exitStatus == 0, "\(context)")
            #expect(nginx.strayFiles().isEmpty, "\(context): \(nginx.strayFiles())")
            let files = try configured()
            try #require(!crash.ran, "\(context): the install ran past every crash point before the journal said verified")
            if step != first { points.append(crash.point) }
            if crash.point.hasSuffix("(journal verified)") { verified = true }
            if files == [current, current] {
                #expect(try nginx.configurationSnapshot() == before, "\(context): both nodes' files are back byte for byte")
                outcomes["old", default: 0] += 1
            } else {
                #expect(files == [crash.new, crash.new], "\(context): the nodes' files disagree: \(files)")
                outcomes["new", default: 0] += 1
                (current, before) = (crash.new, try nginx.configurationSnapshot())
            }
            #expect(try bothServe(current), "\(context): both nodes serve what their files name")
            if verified { break }
        }
        print("multi-node fault injection: killed at \(points.count) points from the second node to verified, recovered to old \(outcomes["old", default: 0]) times, new \(outcomes["new", default: 0]) times")
        #expect(verified, "no crash at the journal's verified: \(points)")
        for expected in ["journal writing", "temporary of", "journal written", "before run", "journal verified", "verified 127.0.0.1"] {
            #expect(points.contains { $0.contains("(\(expected)") }, "no crash point \(expected): \(points)")
        }
        #expect(outcomes["old", default: 0] > 0 && outcomes["new", default: 0] > 0, "\(outcomes)")
    }

    /// `--dry-run` over both nodes: beta's plan is made against the endpoint
    /// as alpha would leave it, so its diff of the shared site file starts from
    /// alpha's result. Applying alpha's diff and then beta's (patch, no fuzz,
    /// no offset) to the file as it is gives exactly what the real install writes.
    @Test func aDryRunDiffsTheSecondNodeAgainstTheFirstNodesResult() throws {
        let leaf = try pki.issue("planned", dnsNames: ["alpha.example.test", "beta.example.test"])
        let before = try nginx.configurationSnapshot()
        let dryRun = try fixture.run(["tls", "install", "web", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain,
                                      "--dry-run"] + nodes.flatMap { ["--node", $0] })
        #expect(dryRun.exitStatus == 0, "\(dryRun.standardErrorText)")
        #expect(try nginx.configurationSnapshot() == before, "a dry run changes nothing")
        let (path, pair) = try DryRunDiffs(dryRun.standardOutputText).sharedFile()
        try #require(pair.count == 2, "\(dryRun.standardOutputText)")
        #expect(pair[0].basis == "current", "\(pair[0].basis)")
        #expect(pair[1].basis.hasPrefix("as node alpha.example.test") && pair[1].basis.hasSuffix("would leave it"), "\(pair[1].basis)")
        #expect(dryRun.standardOutputText.contains("modify \(path) (mode 644), as node alpha.example.test"), "\(dryRun.standardOutputText)")
        let planned = try DryRunDiffs.apply(pair, to: try LocalFiles.read(path))
        let installed = try install(leaf, nodes: nodes)
        #expect(installed.exitStatus == 0, "\(installed.standardErrorText)")
        #expect(planned == (try LocalFiles.read(path)), "alpha's diff then beta's is what the install wrote")
    }
}
