import Foundation
import OGBasics
import OGTestSupport
import Testing

/// One job per endpoint, proved with real og-host processes against real
/// nginx: parallel installs on one endpoint serialise or are refused as busy
/// (never undo each other), installs on different endpoints run side by side,
/// and a killed job keeps its endpoint until its lease expires, then the next
/// job recovers it.
@Suite(.serialized) struct EndpointLockTests {
    let fixture: GatewayFixture
    let pki: TestPKI

    init() throws {
        fixture = try GatewayFixture(plugins: ["nginx"])
        pki = try TestPKI()
    }

    func addEndpoint(_ name: String, _ nginx: NginxTestInstance) throws {
        let added = try fixture.run(["tls", "add", "nginx", "--name", name] + nginx.localOptions)
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
    }

    /// Runs every argument list as its own og-host process, all at once.
    func runInParallel(_ runs: [[String]], environment: [String: String] = [:]) -> [ProcessOutput?] {
        let results = Results(count: runs.count)
        let group = DispatchGroup()
        for (index, arguments) in runs.enumerated() {
            group.enter()
            let thread = Thread { [fixture] in
                results.set(index, try? fixture.run(arguments, extraEnvironment: environment))
                group.leave()
            }
            thread.start()
        }
        group.wait()
        return results.values
    }

    /// What nginx serves for beta, looked at until it is `expected` or 3 s pass: right after a
    /// reload an old worker may still answer for a moment (issue 17's verification race,
    /// not what these tests are about).
    func servedEventually(_ nginx: NginxTestInstance, expecting expected: String) throws -> String {
        var served = try nginx.servedFingerprint("beta.example.test")
        for _ in 0..<30 where served != expected {
            usleep(100_000)
            served = try nginx.servedFingerprint("beta.example.test")
        }
        return served
    }

    func jobID(_ output: ProcessOutput) -> String? {
        output.standardOutputText.split(separator: "\n").first { $0.hasPrefix("job ") }
            .map { String($0.dropFirst(4).prefix { $0 != ":" }) }
    }

    @Test func tenParallelInstallsOnOneEndpointSerialiseOrAreRefusedAsBusy() throws {
        let nginx = try NginxTestInstance(pki: pki)
        try nginx.start()
        try addEndpoint("web", nginx)
        let leaves = try (0..<10).map { try pki.issue("beta-\($0)", dnsNames: ["beta.example.test"]) }
        // A lease long enough that no heartbeat on this loaded machine can miss it.
        let outputs = runInParallel(leaves.map {
            ["tls", "install", "web", "--cert", $0.certificate, "--key", $0.key, "--chain", pki.chain]
        }, environment: ["OG_JOB_LEASE_SECONDS": "60"])

        var installed: [String: Int] = [:]  // job ID → run
        var busy = 0
        for (index, output) in outputs.enumerated() {
            let output = try #require(output, "run \(index) did not start")
            let text = output.standardOutputText + output.standardErrorText
            switch output.exitStatus {
            case 0:
                #expect(text.contains("installed CN=beta.example.test"), "run \(index): \(text)")
                let job = try #require(jobID(output), "run \(index): \(text)")
                installed[job] = index
            case 4:
                #expect(output.standardErrorText.contains("endpoint busy: job "), "run \(index): \(text)")
                #expect(output.standardErrorText.contains(" by PID "), "run \(index): \(text)")
                busy += 1
            default:
                Issue.record("run \(index) exited \(output.exitStatus): \(text)")
            }
            #expect(!text.contains("rolled back"), "run \(index) was rolled back: \(text)")
            #expect(!text.contains("recovered"), "run \(index) recovered another run's job: \(text)")
        }
        #expect(!installed.isEmpty)
        #expect(installed.count + busy == 10)

        // The newest successful install in the audit trail is what nginx serves.
        let audit = try fixture.run(["audit", "--action", "tls.install", "--output", "json"])
        let records = try #require(try JSONSerialization.jsonObject(with: Data(audit.standardOutput)) as? [[String: Any]])
        let successes = records.filter { $0["outcome"] as? String == "success" }
        #expect(successes.count == installed.count, "one success record per successful run")
        #expect(records.count == successes.count, "no failed install: \(records)")
        let newest = try #require(successes.first?["detail"] as? String)
        let lastJob = try #require(installed.keys.first { newest.contains("job \($0)") }, "\(newest)")
        let lastLeaf = leaves[installed[lastJob]!]
        let lastFingerprint = try pki.fingerprint(lastLeaf.certificate)
        #expect(try servedEventually(nginx, expecting: lastFingerprint) == lastFingerprint)
        let served = try nginx.text("og-beta.example.test_\(nginx.tlsPort).crt")
        #expect(served.hasPrefix(try String(contentsOfFile: lastLeaf.certificate, encoding: .utf8)), "the file on disk too")
        let tested = try nginx.configTest()
        #expect(tested.exitStatus == 0, "nginx -t: \(tested.standardErrorText)")
        #expect(nginx.strayFiles().isEmpty, "\(nginx.strayFiles())")
        let recoveries = try fixture.run(["audit", "--action", "tls.recover", "--output", "json"])
        #expect(recoveries.standardOutputText.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: "") == "[]"
                || recoveries.standardOutputText.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]",
                "no job was recovered by another: \(recoveries.standardOutputText)")
    }

    @Test func tenParallelInstallsOnTenEndpointsAllSucceed() throws {
        let instances = try (0..<10).map { _ in try NginxTestInstance(pki: pki) }
        for (index, nginx) in instances.enumerated() {
            try nginx.start()
            try addEndpoint("web\(index)", nginx)
        }
        let leaves = try (0..<10).map { try pki.issue("many-\($0)", dnsNames: ["beta.example.test"]) }
        let outputs = runInParallel((0..<10).map {
            ["tls", "install", "web\($0)", "--cert", leaves[$0].certificate, "--key", leaves[$0].key, "--chain", pki.chain]
        }, environment: ["OG_JOB_LEASE_SECONDS": "60"])
        for (index, nginx) in instances.enumerated() {
            let output = try #require(outputs[index])
            #expect(output.exitStatus == 0, "web\(index): \(output.standardErrorText)")
            let expected = try pki.fingerprint(leaves[index].certificate)
            #expect(try servedEventually(nginx, expecting: expected) == expected)
            #expect(nginx.strayFiles().isEmpty)
        }
    }

    @Test func killedJobKeepsTheEndpointUntilItsLeaseExpiresThenIsRecovered() throws {
        let nginx = try NginxTestInstance(pki: pki)
        try nginx.start()
        try addEndpoint("web", nginx)
        let before = try nginx.configurationSnapshot()
        let served = try nginx.servedFingerprint("beta.example.test")
        // 5 s: a next install now starts two og-hosts (command and job) before it asks for the lease.
        let lease = ["OG_JOB_LEASE_SECONDS": "5"]

        // An install that stops after writing its files, as if the machine froze; then kill -9.
        let stopped = try pki.issue("beta-stopped", dnsNames: ["beta.example.test"])
        let log = fixture.root.file("hung.log")
        FileManager.default.createFile(atPath: log, contents: nil)
        let hung = Process()
        hung.executableURL = URL(fileURLWithPath: BuiltProducts.ogHost)
        hung.arguments = ["tls", "install", "web", "--cert", stopped.certificate, "--key", stopped.key, "--chain", pki.chain]
        hung.environment = EnvironmentVariable.all().merging(fixture.environment.merging(lease) { $1 }) { $1 }
            .merging(["OG_FAULT_INJECT": "before-activate:hang"]) { $1 }
        hung.standardOutput = FileHandle(forWritingAtPath: log)
        hung.standardError = FileHandle(forWritingAtPath: log)
        try hung.run()
        var waited = 0
        while !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("hanging"), waited < 600 {
            usleep(100_000)
            waited += 1
        }
        try #require(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("hanging"), "the install never reached the fault point")
        // Longer than a lease: the heartbeat keeps a live (if stuck) job's endpoint.
        sleep(6)
        let whileAlive = try fixture.run(["tls", "install", "web", "--cert", stopped.certificate, "--key", stopped.key,
                                          "--chain", pki.chain, "--wait", "0"], extraEnvironment: lease)
        #expect(whileAlive.exitStatus == 4, "\(whileAlive.standardErrorText)")
        // The job runs in a child og-host (`og-host job run`), which holds the lease; it dies with its command.
        let job = try #require(Self.children(of: hung.processIdentifier).first, "the install's job process")
        kill(hung.processIdentifier, SIGKILL)
        hung.waitUntilExit()
        var jobGone = false
        for _ in 0..<50 where !jobGone {
            jobGone = !Self.isAlive(job)
            if !jobGone { usleep(50_000) }
        }
        #expect(jobGone, "the job's process outlived the killed command")
        #expect(try nginx.configurationSnapshot() != before, "the killed job had written its files")

        let leaf = try pki.issue("beta-next", dnsNames: ["beta.example.test"])
        let install = ["tls", "install", "web", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain, "--wait", "0"]
        let refused = try fixture.run(install, extraEnvironment: lease)
        #expect(refused.exitStatus == 4, "within the lease: busy: \(refused.standardErrorText)")
        #expect(refused.standardErrorText.contains("endpoint busy: job "), "\(refused.standardErrorText)")
        #expect(refused.standardErrorText.contains("by PID \(job) on \(ProcessInfo.processInfo.hostName) since "),
                "\(refused.standardErrorText)")
        #expect(try nginx.servedFingerprint("beta.example.test") == served, "nothing was rolled back or reloaded meanwhile")

        sleep(6)
        let recovered = try fixture.run(install, extraEnvironment: lease)
        #expect(recovered.exitStatus == 0, "after the lease: \(recovered.standardErrorText)")
        #expect(recovered.standardOutputText.contains("took over endpoint 'web' from job "), "\(recovered.standardOutputText)")
        #expect(recovered.standardOutputText.contains("recovered: files restored"), "\(recovered.standardOutputText)")
        let expected = try pki.fingerprint(leaf.certificate)
        #expect(try servedEventually(nginx, expecting: expected) == expected)
        #expect(nginx.strayFiles().isEmpty, "\(nginx.strayFiles())")
        #expect(try nginx.configTest().exitStatus == 0)
    }
}

extension EndpointLockTests {
    /// Whether `pid` runs (a zombie waiting to be reaped does not).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }

    /// The child processes of `pid` (Linux: /proc/PID/task/*/children).
    static func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task in
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
                .split(separator: " ").compactMap { Int32($0) }
        }
    }
}

/// Results written by several threads.
private final class Results: Sendable {
    private let stored: Locked<[ProcessOutput?]>

    init(count: Int) { stored = Locked(Array(repeating: nil, count: count)) }

    func set(_ index: Int, _ value: ProcessOutput?) {
        stored.withLock { $0[index] = value }
    }

    var values: [ProcessOutput?] { stored.withLock { $0 } }
}
