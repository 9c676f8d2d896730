import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Issue 11: an API endpoint's nodes are one transaction too. The F5
/// iControl REST test server (no BIG-IP runs here) with two client-SSL
/// profiles holding different pairs, each on its own virtual server with a
/// real TLS listener; one `tls install --node web --node shop` applies node
/// after node. Every node's undo token is journalled; a failure on the second
/// node's call, or a crash at any of the job's crash points, ends with the
/// device exactly as before (objects and profiles, read from the simulator's
/// state) and both virtual servers serving the old pairs (openssl s_client).
@Suite struct MultiNodeAPITests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let f5: F5Simulator
    static let nodes = ["/Common/web-ssl", "/Common/shop-ssl"]
    static let virtuals = ["/Common/vs-web", "/Common/vs-shop"]

    init() throws {
        fixture = try GatewayFixture(plugins: ["f5"])
        pki = try TestPKI()
        try #require(try fixture.run(["ca", "add", pki.file("root.pem"), "--name", "test-root"]).exitStatus == 0)
        f5 = try F5Simulator(pki: pki, profiles: [
            F5Simulator.Profile(name: "/Common/web-ssl", pair: "/Common/web"),
            F5Simulator.Profile(name: "/Common/shop-ssl", pair: "/Common/shop"),
        ], virtuals: [
            F5Simulator.Virtual(name: "/Common/vs-web", profiles: ["/Common/web-ssl"]),
            F5Simulator.Virtual(name: "/Common/vs-shop", profiles: ["/Common/shop-ssl"]),
        ])
        let added = try fixture.run(["tls", "add", "f5", "--name", "big", "--connection_type", "rest", "--host", "localhost",
                                     "--port", String(f5.port), "--user", F5Simulator.user, "--password", F5Simulator.password])
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
    }

    /// A crashed job's lease must run out before `tls recover` takes over: 1 s keeps the loop short.
    static let shortLease = ["OG_JOB_LEASE_SECONDS": "1"]

    func install(_ leaf: (certificate: String, key: String), environment: [String: String] = [:]) throws -> ProcessOutput {
        try fixture.run(["tls", "install", "big", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain, "--verbose"]
                            + Self.nodes.flatMap { ["--node", $0] }, extraEnvironment: Self.shortLease.merging(environment) { $1 })
    }

    /// What the device holds that an install changes: key and certificate objects and every profile's pairs.
    func device() throws -> String {
        let state = try f5.state()
        let kept: [String: Any] = ["keys": state["keys"] ?? [], "certs": state["certs"] ?? [], "profiles": state["profiles"] ?? [:]]
        return String(decoding: try JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys]), as: UTF8.self)
    }

    func served() throws -> [String] { try Self.virtuals.map { try f5.servedFingerprint($0) } }

    func counter(_ name: String) throws -> Int {
        try #require((try f5.state()["counters"] as? [String: Any])?[name] as? Int)
    }

    /// The newest install journal entry: its state and the profiles each journalled undo token repoints,
    /// in the order the payload keeps them (`undoTokens`, the earlier nodes', then `undoToken`).
    func newestJournal() throws -> (state: String, tokenProfiles: [[String]]) {
        let script = "import sqlite3,sys;c=sqlite3.connect(sys.argv[1]);"
            + "r=c.execute('SELECT state,payload FROM installJournal ORDER BY startedAt DESC LIMIT 1').fetchone();"
            + "sys.stdout.write(r[0]+'\\n'+r[1])"
        let read = try ProcessRunner.run("python3", ["-c", script, fixture.dataDirectory + "/inventory.sqlite"])
        try #require(read.exitStatus == 0, "\(read.standardErrorText)")
        let text = read.standardOutputText
        let newline = try #require(text.firstIndex(of: "\n"))
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(text[text.index(after: newline)...].utf8)) as? [String: Any])
        let encoded = (payload["undoTokens"] as? [String] ?? []) + (payload["undoToken"] as? String).map { [$0] }.orEmpty
        let profiles = try encoded.map { token -> [String] in
            let bytes = try #require(Data(base64Encoded: token))
            let json = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
            return (json["repoints"] as? [[String: Any]] ?? []).compactMap { $0["profile"] as? String }
        }
        return (String(text[..<newline]), profiles)
    }

    @Test func bothProfilesAreRepointedInOneJobAndTheReplacedPairsGoAfterVerification() throws {
        let leaf = try pki.issue("both", dnsNames: ["www.example.test"], key: "rsa")
        let installed = try install(leaf)
        #expect(installed.exitStatus == 0, "\(installed.standardErrorText)\(installed.standardOutputText)")
        let new = try pki.fingerprint(leaf.certificate)
        #expect(try served() == [new, new], "both virtual servers serve the new leaf")
        #expect(try counter("commits") == 2, "one iControl transaction per node")
        let state = try f5.state()
        let base = "/Common/og-www.example.test-\(new.prefix(12))"
        #expect(state["keys"] as? [String] == [base + ".key"], "both replaced keys deleted once verified: \(state["keys"] ?? "")")
        let certs = state["certs"] as? [String] ?? []
        #expect(!certs.contains("/Common/web.crt") && !certs.contains("/Common/shop.crt"), "\(certs)")
        #expect(state["tokens"] as? Int == 0)
        let journal = try newestJournal()
        #expect(journal.state == "succeeded")
        let jobs = Set(installed.standardErrorText.split(separator: "\n").compactMap { line in
            line.range(of: "job ").map { String(line[$0.upperBound...].prefix(36)) } }.filter { $0.count == 36 })
        #expect(jobs.count == 1, "one job for both nodes: \(jobs)")
    }

    @Test func aFailureOnTheSecondNodesCallRollsBackTheFirstNewestFirst() throws {
        let before = try device()
        let old = try served()
        // The first node's transaction commits; the second node's is refused by the device.
        try f5.failNextCommit("01070734:3: Configuration error: simulated refusal of the second node", after: 1)
        let failed = try install(try pki.issue("refused", dnsNames: ["www.example.test"], key: "rsa"))
        let log = failed.standardErrorText
        #expect(failed.exitStatus == 6, "rolled back: \(log)")
        #expect(log.contains("simulated refusal of the second node"), "\(log)")
        #expect(log.contains("rolled back every node with the plugin's undo tokens"), "\(log)")
        #expect(try device() == before, "objects and profiles exactly as before")
        #expect(try served() == old, "both virtual servers serve the old pairs")
        // Newest first: the second node's undo runs while the first node's profile still uses the new
        // objects (so they are kept), then the first node's repoints web-ssl back and deletes them.
        let kept = log.range(of: "kept /Common/og-www.example.test")
        let repointed = log.range(of: "repointed /Common/web-ssl to the previous pair")
        #expect(kept != nil && repointed != nil, "\(log)")
        if let kept, let repointed { #expect(kept.lowerBound < repointed.lowerBound, "the second node was undone first:\n\(log)") }
        let recover = try fixture.run(["tls", "recover", "big"])
        #expect(recover.standardOutputText.contains("no interrupted install"), "the journal was closed: \(recover.standardOutputText)")
        #expect(try f5.state()["tokens"] as? Int == 0)
    }

    /// `OG_FAULT_INJECT=step:N` kills the job at its N-th crash point (each
    /// undo token journalled, each node applied, the start of the second
    /// node); `tls recover` must bring the device back to exactly where it
    /// was, whichever node the crash came after.
    @Test func aCrashAtEveryStepIsRecoveredToTheOldPairsOnBothProfiles() throws {
        let before = try device()
        let old = try served()
        var points: [String] = []
        var completed = false
        for step in 1...20 {
            let leaf = try pki.issue("step-\(step)", dnsNames: ["www.example.test"], key: "rsa")
            let run = try install(leaf, environment: ["OG_FAULT_INJECT": "step:\(step)"])
            if run.exitStatus == 0 {
                completed = true
                let new = try pki.fingerprint(leaf.certificate)
                #expect(try served() == [new, new], "the install that ran past every crash point")
                break
            }
            try #require(run.exitStatus == 70, "step \(step): \(run.standardErrorText)")
            let point = run.standardErrorText.components(separatedBy: "fault injected at step \(step) (").last?
                .prefix { $0 != ")" }.description ?? "?"
            points.append(point)
            // Once the second node has journalled its token, the journal holds both, the first node's first.
            let bothJournalled = points.filter { $0 == "after-undo-journal" }.count == 2
            let journal = try newestJournal()
            #expect(journal.tokenProfiles == (bothJournalled ? [[Self.nodes[0]], [Self.nodes[1]]] : [[Self.nodes[0]]]),
                    "step \(step) (\(point)): \(journal.tokenProfiles)")
            let recovered = try fixture.run(["tls", "recover", "big"], extraEnvironment: Self.shortLease)
            #expect(recovered.exitStatus == 0, "step \(step) (\(point)): \(recovered.standardErrorText)")
            #expect(recovered.standardOutputText.contains(bothJournalled ? "undo tokens of its 2 nodes" : "with the plugin's undo token"),
                    "step \(step) (\(point)): \(recovered.standardOutputText)")
            #expect(try device() == before, "step \(step) (\(point)): the device is as before")
            #expect(try served() == old, "step \(step) (\(point)): both serve the old pairs")
            #expect(try fixture.run(["tls", "recover", "big"]).standardOutputText.contains("no interrupted install"))
        }
        #expect(completed, "the install never ran past its last crash point: \(points)")
        #expect(points.filter { $0 == "after-apply" }.count == 2 && points.contains("before node 2"), "\(points)")
    }
}

extension Optional where Wrapped == [String] {
    fileprivate var orEmpty: [String] { self ?? [] }
}
