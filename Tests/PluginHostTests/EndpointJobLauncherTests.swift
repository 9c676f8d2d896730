import Foundation
import OGBasics
import OGInventory
@testable import OGHost
import OGTestSupport
import Testing

/// Endpoint jobs in child og-host processes (`EndpointJobLauncher`, `og-host
/// job run`), driven from this test process the way the CLI and the daemon
/// drive them: a plugin that segfaults takes down one child, whose job is
/// reported failed with the signal named, and the caller lives on and keeps
/// running jobs.
@Suite struct EndpointJobLauncherTests {
    /// A data directory and a plugins directory holding one fixture plugin
    /// (they all serve the type `fixture_store`), with an endpoint of it.
    struct World {
        let directory: TemporaryDirectory
        let gateway: Gateway
        let launcher: EndpointJobLauncher
        var environment: [String: String]

        init(fixture: String) throws {
            directory = try TemporaryDirectory("og-jobs")
            chmod(directory.path, 0o755)
            let plugins = directory.file("plugins.d")
            try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
            try FileManager.default.createDirectory(atPath: directory.file("store"), withIntermediateDirectories: true)
            let library = try ConformanceFixtures.compile(fixture, into: plugins)
            chmod(library, 0o755)
            environment = ["OG_DATA_DIR": directory.file("data"), "OG_PLUGIN_PATH": plugins]
            let manifest = try BuiltProducts.runOGHost(["plugins", "manifest", library], environment: environment)
            try #require(manifest.exitStatus == 0, "\(manifest.standardErrorText)")
            let add = try BuiltProducts.runOGHost(["tls", "add", "fixture_store", "--name", "store", "--connection_type", "local",
                                                   "--store_dir", directory.file("store")], environment: environment)
            try #require(add.exitStatus == 0, "tls add: \(add.standardErrorText)")
            gateway = try Gateway(dataDirectory: directory.file("data"), pluginDirectories: [plugins],
                                  describer: ChildProcessDescriber.make(executable: try ConformanceFixtures.ogHost()))
            launcher = try EndpointJobLauncher(gateway: gateway, executable: try ConformanceFixtures.ogHost(),
                                               timeout: .seconds(60))
        }
    }

    @Test func aPluginThatSegfaultsFailsItsJobAndTheCallerKeepsRunningJobs() throws {
        let world = try World(fixture: "crash-discover")
        let crashed = world.launcher.run(JobSpec(kind: .discover, endpoint: "store"), log: { _ in })
        #expect(crashed.status == .failed)
        #expect(crashed.signal == SIGSEGV)
        #expect(crashed.category == .internal)
        #expect(crashed.message.contains("plugin 'crash-discover' (type fixture_store) crashed"), "\(crashed.message)")
        #expect(crashed.message.contains("signal 11 (SIGSEGV)"), "\(crashed.message)")

        // This process is alive (the test goes on) and the next job runs normally.
        let recovery = world.launcher.run(JobSpec(kind: .recover, endpoint: "store"), log: { _ in })
        #expect(recovery.status == .clean, "\(recovery.message)")
        #expect(recovery.category == nil)
    }

    @Test func aHealthyPluginsJobReportsItsOutcomeAndProgress() throws {
        let world = try World(fixture: "complete")
        let discovered = world.launcher.run(JobSpec(kind: .discover, endpoint: "store"), log: { _ in })
        #expect(discovered.status == .discovered, "\(discovered.message)")
        #expect(discovered.discovered?.map(\.id) == ["main"])
        #expect(discovered.signal == nil)

        let missing = world.launcher.run(JobSpec(kind: .discover, endpoint: "no-such-endpoint"), log: { _ in })
        #expect(missing.status == .failed)
        #expect(missing.category == .notFound, "\(missing.message)")
        #expect(missing.exitCode == 3)
    }

    @Test func aJobThatOutlivesItsTimeoutIsKilledAndSaysSo() throws {
        let world = try World(fixture: "complete")
        // A stand-in og-host that never answers: what a plugin hanging in a slot looks like from outside.
        let script = world.directory.file("hung-og-host")
        try LocalFiles.writeAtomically(script, contents: Array("#!/bin/sh\nexec sleep 120\n".utf8), mode: 0o755)
        let launcher = try EndpointJobLauncher(gateway: world.gateway, executable: script, timeout: .seconds(1))
        let outcome = launcher.run(JobSpec(kind: .discover, endpoint: "store"), log: { _ in })
        #expect(outcome.status == .failed)
        #expect(outcome.category == .transient)
        #expect(outcome.message.contains("did not finish within 1 s"), "\(outcome.message)")
    }

    @Test func aChildKilledForItsOutputHandsItsLeaseBackSoRecoveryStartsAtOnce() throws {
        let world = try World(fixture: "complete")
        // A stand-in og-host whose install holds the endpoint's lease (the test takes it in its PID's name, as a
        // real job would) and then floods standard error; the recovery after it is the real og-host.
        let pidFile = world.directory.file("install.pid"), go = world.directory.file("go")
        let script = world.directory.file("flooding-og-host")
        try LocalFiles.writeAtomically(script, contents: Array("""
            #!/bin/sh
            [ -e \(pidFile) ] && exec \(try ConformanceFixtures.ogHost()) "$@"
            echo $$ > \(pidFile).tmp && mv \(pidFile).tmp \(pidFile)
            while [ ! -e \(go) ]; do sleep 0.05; done
            exec head -c 300000 /dev/zero 1>&2

            """.utf8), mode: 0o755)
        let launcher = try EndpointJobLauncher(gateway: world.gateway, executable: script, timeout: .seconds(60),
                                               outputLimit: 100_000)
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: JobOutcome?
        Thread.detachNewThread {
            outcome = launcher.run(JobSpec(kind: .install, endpoint: "store", certificateID: "any"), log: { _ in })
            finished.signal()
        }
        var pid: Int32?
        for _ in 0..<600 where pid == nil {
            pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if pid == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let inventory = try world.gateway.inventory()
        let endpoint = try EndpointCatalog(gateway: world.gateway).find("store")
        let owner = JobOwner(gatewayID: try inventory.gatewayID(), pid: try #require(pid), host: ProcessInfo.processInfo.hostName)
        let taken = try inventory.acquireEndpointLease(endpointID: endpoint.id, jobID: UUID().uuidString.lowercased(),
                                                       kind: "install", owner: owner, duration: 600)
        guard case .acquired = taken else { Issue.record("the test could not take the lease: \(taken)"); return }
        FileManager.default.createFile(atPath: go, contents: nil)
        finished.wait()
        let ended = try #require(outcome)
        #expect(ended.message.contains("the job wrote more than 100000 bytes and was killed"), "\(ended.message)")
        #expect(ended.signal == SIGKILL)
        // Its lease (10 minutes left) was handed back as the child was known dead, so the recovery ran at once.
        #expect(ended.recovery == "nothing had been changed on the endpoint", "\(ended.message)")
        #expect(try inventory.endpointLease(endpoint.id) == nil)
    }

    @Test func aChildThatAnswersNonsenseIsAFailureNotAnOutcome() throws {
        let world = try World(fixture: "complete")
        let script = world.directory.file("chatty-og-host")
        try LocalFiles.writeAtomically(script, contents: Array("#!/bin/sh\necho 'not json'\necho 'last words' >&2\nexit 0\n".utf8), mode: 0o755)
        let launcher = try EndpointJobLauncher(gateway: world.gateway, executable: script, timeout: .seconds(30))
        var logged: [String] = []
        let outcome = launcher.run(JobSpec(kind: .discover, endpoint: "store"), log: { logged.append($0) })
        #expect(outcome.status == .failed)
        #expect(outcome.message.contains("exit status 0 without an outcome"), "\(outcome.message)")
        #expect(outcome.message.contains("last words"), "\(outcome.message)")
        #expect(logged == ["last words"])
    }

    /// A stand-in for `og-host job worker` that says it took its first job and
    /// then misbehaves (`behaviour`, shell), with a helper left in its process
    /// group; every later worker is the real og-host.
    func misbehavingWorker(_ world: World, _ behaviour: String) throws -> (script: String, helper: String) {
        let script = world.directory.file("misbehaving-worker"), helper = world.directory.file("helper.pid")
        let once = world.directory.file("misbehaved")
        try LocalFiles.writeAtomically(script, contents: Array("""
            #!/bin/sh
            [ -e \(once) ] && exec \(try ConformanceFixtures.ogHost()) "$@"
            : > \(once)
            sleep 120 & echo $! > \(helper)
            echo '{"og_job_taken":1}'
            \(behaviour)

            """.utf8), mode: 0o755)
        return (script, helper)
    }

    /// Whether `pid` is gone (or a zombie) within 5 s.
    static func gone(_ pid: Int32) -> Bool {
        for _ in 0..<100 {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return true }
            if stat[stat.index(after: close)...].hasPrefix(" Z") { return true }
            usleep(50_000)
        }
        return false
    }

    @Test func aPooledWorkerThatHangsPastTheTimeoutIsKilledWithItsGroupAndTheNextJobGetsANewWorker() throws {
        let world = try World(fixture: "complete")
        let (script, helper) = try misbehavingWorker(world, "exec sleep 120")
        let pooled = try EndpointJobLauncher(gateway: world.gateway, executable: script, timeout: .seconds(5)).pooled(1)
        defer { pooled.drain() }
        let hung = pooled.run(JobSpec(kind: .discover, endpoint: "store", wait: 0), log: { _ in })
        #expect(hung.status == .failed)
        #expect(hung.category == .transient)
        #expect(hung.signal == SIGKILL)
        #expect(hung.message.contains("did not finish within 5 s"), "\(hung.message)")
        let left = try #require(Int32(try String(contentsOfFile: helper, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // SIGKILL is delivered asynchronously: give the dying helper a moment to be gone.
        #expect(Self.gone(left), "the hung worker's process group was killed")
        let next = pooled.run(JobSpec(kind: .discover, endpoint: "store", wait: 0), log: { _ in })
        #expect(next.status == .discovered, "\(next.message)")
        #expect(next.processID != nil && next.processID != hung.processID)
    }

    @Test func aPooledWorkerThatAnswersNonsenseFailsThatJobIsStoppedAndTheNextJobGetsANewWorker() throws {
        let world = try World(fixture: "complete")
        let (script, helper) = try misbehavingWorker(world, "echo 'not json'\nexec sleep 120")
        let pooled = try EndpointJobLauncher(gateway: world.gateway, executable: script, timeout: .seconds(60)).pooled(1)
        defer { pooled.drain() }
        let garbled = pooled.run(JobSpec(kind: .discover, endpoint: "store", wait: 0), log: { _ in })
        #expect(garbled.status == .failed)
        #expect(garbled.message.contains("answered something that is not an outcome"), "\(garbled.message)")
        #expect(garbled.message.contains("not json"), "\(garbled.message)")
        let left = try #require(Int32(try String(contentsOfFile: helper, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.gone(left), "the garbling worker was stopped with its process group")
        let next = pooled.run(JobSpec(kind: .discover, endpoint: "store", wait: 0), log: { _ in })
        #expect(next.status == .discovered, "\(next.message)")
    }

    @Test func jobSpecsAreCheckedFieldByField() throws {
        func refusal(_ json: String) -> GatewayError? {
            do { _ = try JobWire.decodeSpec(Array(json.utf8)); return nil } catch { return error as? GatewayError }
        }
        #expect(refusal(#"{"endpoint":"e"}"#)?.field == "kind")
        #expect(refusal(#"{"kind":"install","endpoint":"e"}"#)?.field == "certificate-id")
        #expect(refusal(#"{"kind":"reboot","endpoint":"e"}"#)?.field == "kind")
        #expect(refusal(#"{"kind":"discover","endpoint":"e","wait":-1}"#)?.field == "wait")
        #expect(refusal(#"{"kind":"install","endpoint":"e","certificateID":"c","targets":[],"node":"n"}"#)?.field == "node")
        #expect(refusal("") != nil)
        // Same binary on both sides: a key this og-host does not read is refused by name, not ignored.
        let typo = refusal(#"{"kind":"install","endpoint":"e","certificateID":"c","dryrun":true}"#)
        #expect(typo?.field == "dryrun", "\(String(describing: typo))")
        #expect(typo.map { "\($0)" }?.contains("another og-host version") == true, "\(String(describing: typo))")
        #expect(refusal(#"{"kind":"install","endpoint":"e","certificateID":"c","targets":[{"node":"a"},{"nod":"b"}]}"#)?.field
                == "targets[1].nod")
        let shorthand = try JobWire.decodeSpec(Array(#"{"kind":"install","endpoint":"e","certificateID":"c","node":"n","alias":"a"}"#.utf8))
        #expect(shorthand.targets == [JobSpec.Target(node: "n", alias: "a")])
        #expect(shorthand.wait == 5)
        // What the launcher writes, the child reads back unchanged.
        let spec = JobSpec(kind: .install, endpoint: "e", certificateID: "c",
                           targets: [.init(node: "a"), .init(node: "b", alias: "x")], wait: 2, skipIfUnchanged: true)
        #expect(try JobWire.decodeSpec(Array(try JobWire.encoder().encode(spec))) == spec)
    }

    @Test func severalTargetsEndInTheMostSevereCategoryOrPartial() {
        typealias Category = GatewayError.Category
        #expect(Category.combined(succeeded: 3, failures: []) == nil)
        #expect(Category.combined(succeeded: 2, failures: [.endpointRolledBack]) == .partial)
        #expect(Category.combined(succeeded: 0, failures: [.transient, .endpointRolledBack]) == .endpointRolledBack)
        #expect(Category.combined(succeeded: 0, failures: [.endpointRolledBack, .endpointInconsistent]) == .endpointInconsistent)
        #expect(Category.combined(succeeded: 0, failures: [.conflict]) == .conflict)
        #expect(Category.partial.exitCode == 9)
    }
}
