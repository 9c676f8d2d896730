import Foundation
import OGBasics
@testable import OGHost
import OGTestSupport
import Testing

/// Pooled endpoint jobs (`EndpointJobLauncher.pooled`, `og-host job worker`),
/// driven from this test process as `cert deploy` and the daemon drive them:
/// four PEM endpoints (the keystore plugin, local files) and one whose plugin
/// segfaults in activate after the host wrote its file (`crash-activate`).
/// Which process ran a job is read from what it left, not from timing: the
/// PID that owned the journal entry of each install (`installJournal.ownerPID`)
/// and the `processID` of each outcome.
@Suite(.serialized) struct JobWorkerPoolTests {
    let directory: TemporaryDirectory
    let gateway: Gateway
    let environment: [String: String]
    let certificateID: String

    init() throws {
        directory = try TemporaryDirectory("og-workers")
        chmod(directory.path, 0o755)
        let plugins = directory.file("plugins.d")
        let keystore = try BuiltProducts.stagePlugin("keystore", into: plugins)
        let crashing = try ConformanceFixtures.compile("crash-activate", into: plugins)
        chmod(crashing, 0o755)
        let environment = ["OG_DATA_DIR": directory.file("data"), "OG_PLUGIN_PATH": plugins]
        self.environment = environment
        let directory = self.directory
        func run(_ arguments: [String]) throws { try CertificateDeployServiceTests.run(arguments, environment: environment) }
        try run(["plugins", "manifest", keystore, crashing])

        let pki = directory.file("pki")
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        try CertificateDeployServiceTests.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                                   "-keyout", "\(pki)/ca.key", "-out", "\(pki)/ca.pem", "-days", "30",
                                                   "-subj", "/CN=og-workers-test CA",
                                                   "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"])
        try CertificateDeployServiceTests.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                                   "-keyout", "\(pki)/site.key", "-out", "\(pki)/site.csr", "-subj", "/CN=site.example.test"])
        try LocalFiles.writeAtomically("\(pki)/site.ext", contents: Array("subjectAltName=DNS:site.example.test\n".utf8))
        try CertificateDeployServiceTests.openssl(["x509", "-req", "-in", "\(pki)/site.csr", "-CA", "\(pki)/ca.pem", "-CAkey", "\(pki)/ca.key",
                                                   "-CAcreateserial", "-out", "\(pki)/site.pem", "-days", "10", "-extfile", "\(pki)/site.ext"])
        try run(["ca", "add", "\(pki)/ca.pem"])
        try run(["cert", "import", "--cert", "\(pki)/site.pem", "--key", "\(pki)/site.key", "--name", "site"])

        // Named so that a deploy (jobs in name order) meets them as a, b, c, d, e.
        for name in ["a-pem", "c-pem", "d-pem", "e-pem"] {
            try FileManager.default.createDirectory(atPath: directory.file(name), withIntermediateDirectories: true)
            try LocalFiles.writeAtomically(directory.file("\(name)/cert.pem"), contents: [])
            try run(["tls", "add", "pem", "--name", name, "--connection_type", "local",
                     "--path", directory.file("\(name)/cert.pem"), "--key_path", directory.file("\(name)/key.pem")])
        }
        try FileManager.default.createDirectory(atPath: directory.file("store"), withIntermediateDirectories: true)
        try LocalFiles.writeAtomically(directory.file("store/fullchain.pem"), contents: Array("the previous chain\n".utf8))
        try run(["tls", "add", "fixture_store", "--name", "b-crashy", "--connection_type", "local", "--store_dir", directory.file("store")])

        gateway = try Gateway(dataDirectory: directory.file("data"), pluginDirectories: [plugins],
                              describer: ChildProcessDescriber.make(executable: try ConformanceFixtures.ogHost()))
        certificateID = try #require(try gateway.inventory().currentCertificate(lineage: "site")?.id)
    }

    func launcher(_ settings: [String: String] = [:]) throws -> EndpointJobLauncher {
        try EndpointJobLauncher(gateway: gateway, executable: try ConformanceFixtures.ogHost(), timeout: .seconds(120),
                                environment: Environment(settings))
    }

    func install(_ endpoint: String) -> JobSpec {
        JobSpec(kind: .install, endpoint: endpoint, certificateID: certificateID, wait: 5)
    }

    /// Endpoint name → the PIDs that owned its install journal entries, read from the database itself.
    func journalOwners() throws -> [String: [Int32]] {
        let output = try ProcessRunner.run("sqlite3", [directory.file("data/inventory.sqlite"),
            "SELECT e.name, j.ownerPID FROM installJournal j JOIN endpoint e ON e.id = j.endpointID ORDER BY j.startedAt"])
        try #require(output.exitStatus == 0, "sqlite3: \(output.standardErrorText)")
        var owners: [String: [Int32]] = [:]
        for line in output.standardOutputText.split(separator: "\n") {
            let parts = line.split(separator: "|")
            if parts.count == 2, let pid = Int32(parts[1]) { owners[String(parts[0]), default: []].append(pid) }
        }
        return owners
    }

    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }

    static func eventually(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    @Test func aDeployWithFewerWorkersThanEndpointsRunsSeveralJobsInOneWorker() throws {
        for name in ["a-pem", "c-pem", "d-pem", "e-pem"] {
            try gateway.inventory().bind(lineage: "site", endpointID: try EndpointCatalog(gateway: gateway).find(name).id,
                                         node: "", alias: nil)
        }
        let service = try CertificateDeployService(gateway: gateway, launcher: try launcher())
        let report = try service.deploy(name: "site", parallel: 2)
        #expect(report.rows.map(\.outcome) == [.installed, .installed, .installed, .installed], "\(report.rows.map(\.message))")
        let owners = try journalOwners()
        let pids = ["a-pem", "c-pem", "d-pem", "e-pem"].compactMap { owners[$0]?.first }
        #expect(pids.count == 4, "every install left its journal entry: \(owners)")
        // Four jobs, at most two processes: the pool never exceeds the parallelism, and a worker took more than one job.
        let distinct = Set(pids)
        #expect(distinct.count <= 2, "\(owners)")
        #expect(distinct.contains { pid in pids.filter { $0 == pid }.count >= 2 }, "\(owners)")
        #expect(!distinct.contains(getpid()), "no job ran in this process")
        // The deploy drained its pool: the workers exit once it is done.
        #expect(Self.eventually(10) { distinct.allSatisfy { !Self.isRunning($0) } }, "the workers outlived the deploy: \(distinct)")
        let site = try LocalFiles.read(directory.file("pki/site.pem"))
        for name in ["a-pem", "c-pem", "d-pem", "e-pem"] {
            #expect(String(decoding: try LocalFiles.read(directory.file("\(name)/cert.pem")), as: UTF8.self)
                .contains(String(decoding: site, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
    }

    @Test func aCrashInTheMiddleJobOfAWorkerFailsThatJobAloneAndTheNextJobsRunInANewWorker() throws {
        try LocalFiles.writeAtomically(directory.file("store/crash-next"), contents: Array("x".utf8))
        let pooled = try launcher().pooled(1)
        defer { pooled.drain() }
        let first = pooled.run(install("a-pem"))
        let crashed = pooled.run(install("b-crashy"))
        let third = pooled.run(install("c-pem"))
        let fourth = pooled.run(install("d-pem"))
        #expect(first.status == .installed, "\(first.message)")
        #expect(third.status == .installed, "\(third.message)")
        #expect(fourth.status == .installed, "\(fourth.message)")

        // The crash is that job's failure, named with plugin, slot and signal, and recovered in a fresh process.
        #expect(crashed.status == .rolledBack, "\(crashed.message)")
        #expect(crashed.signal == SIGSEGV)
        #expect(crashed.slot == "activate")
        #expect(crashed.message.contains("plugin 'crash-activate' (type fixture_store) crashed in its activate slot"), "\(crashed.message)")
        #expect(crashed.message.contains("recovered in a new process"), "\(crashed.message)")
        #expect(try LocalFiles.read(directory.file("store/fullchain.pem")) == Array("the previous chain\n".utf8))
        #expect(try gateway.inventory().unfinishedInstalls().isEmpty, "no journal entry is left open")
        #expect(try gateway.inventory().endpointLease(try EndpointCatalog(gateway: gateway).find("b-crashy").id) == nil,
                "the dead worker's lease was handed back")

        // The crashed job ran in the worker that had run the job before it; the jobs after it in a new one, together.
        let pids = [first, crashed, third, fourth].map(\.processID)
        #expect(pids.allSatisfy { $0 != nil && $0 != getpid() }, "\(pids)")
        #expect(pids[0] == pids[1], "the crash happened in the worker's second job: \(pids)")
        #expect(pids[2] != pids[1], "the next job ran in a new worker: \(pids)")
        #expect(pids[3] == pids[2], "the new worker took the job after it too: \(pids)")
        #expect(!Self.isRunning(pids[1]!))
        let owners = try journalOwners()
        #expect(owners["a-pem"] == [pids[0]!] && owners["c-pem"] == [pids[2]!] && owners["d-pem"] == [pids[2]!], "\(owners)")
    }

    @Test func aWorkerIsReplacedAfterItsShareOfJobs() throws {
        let pooled = try launcher(["OG_JOB_WORKER_MAX_JOBS": "2"]).pooled(1)
        defer { pooled.drain() }
        let outcomes = ["a-pem", "c-pem", "d-pem", "e-pem", "a-pem"].map { pooled.run(install($0)) }
        #expect(outcomes.map(\.status) == [.installed, .installed, .installed, .installed, .unchanged] ||
                outcomes.map(\.status) == [.installed, .installed, .installed, .installed, .installed],
                "\(outcomes.map(\.message))")
        let pids = outcomes.map(\.processID)
        #expect(pids.allSatisfy { $0 != nil }, "\(pids)")
        #expect(pids[0] == pids[1] && pids[2] == pids[3], "two jobs per worker: \(pids)")
        #expect(Set([pids[0], pids[2], pids[4]]).count == 3, "a new worker every two jobs: \(pids)")
        // A worker that ran its share exits by itself.
        #expect(Self.eventually(10) { !Self.isRunning(pids[0]!) && !Self.isRunning(pids[2]!) }, "\(pids)")
    }

    @Test func anIdleWorkerExitsAndTheNextJobStartsAFreshOne() throws {
        let pooled = try launcher(["OG_JOB_WORKER_IDLE_SECONDS": "1"]).pooled(1)
        defer { pooled.drain() }
        let first = pooled.run(install("a-pem"))
        #expect(first.status == .installed, "\(first.message)")
        let worker = try #require(first.processID)
        #expect(Self.isRunning(worker), "the worker waits for the next job")
        #expect(pooled.pool?.idleProcessIDs == [worker])
        // Nobody drained the pool: the worker goes away by itself (and is reaped).
        #expect(Self.eventually(15) { !Self.isRunning(worker) }, "the idle worker never exited")
        let second = pooled.run(install("c-pem"))
        #expect(second.status == .installed, "\(second.message)")
        #expect(second.processID != nil && second.processID != worker)
    }

    /// Foreground: `tls install` over several endpoints runs them in one job
    /// worker, which dies with its command (`ParentWatch`), as a `job run` child does.
    @Test func aForegroundWorkerDiesWithItsCommand() throws {
        let log = directory.file("hung.log")
        FileManager.default.createFile(atPath: log, contents: nil)
        let command = Process()
        command.executableURL = URL(fileURLWithPath: BuiltProducts.ogHost)
        command.arguments = ["tls", "install", "a-pem", "c-pem", "--cert-id", "site"]
        command.environment = EnvironmentVariable.all().merging(environment) { $1 }
            .merging(["OG_FAULT_INJECT": "journal written:hang"]) { $1 }
        command.standardOutput = FileHandle(forWritingAtPath: log)
        command.standardError = FileHandle(forWritingAtPath: log)
        try command.run()
        let reached = Self.eventually(60) { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("hanging") }
        try #require(reached, "the install never reached the fault point: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        let children = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(command.processIdentifier)/task")) ?? [])
            .flatMap { task in
                ((try? String(contentsOfFile: "/proc/\(command.processIdentifier)/task/\(task)/children", encoding: .utf8)) ?? "")
                    .split(separator: " ").compactMap { Int32($0) }
            }
        let worker = try #require(children.first, "the install's job process")
        let argv = (try? String(contentsOfFile: "/proc/\(worker)/cmdline", encoding: .utf8)) ?? ""
        #expect(argv.split(separator: "\0").dropFirst().prefix(2) == ["job", "worker"], "\(argv)")
        kill(command.processIdentifier, SIGKILL)
        command.waitUntilExit()
        #expect(Self.eventually(5) { !Self.isRunning(worker) }, "the job worker outlived the killed command")
        // The interrupted install is left for recovery, as when the job ran in the command.
        #expect(try gateway.inventory().unfinishedInstalls().count == 1)
    }
}
