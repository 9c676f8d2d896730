import Dispatch
import Foundation
import OGBasics
@testable import OGHost
import OGTestSupport
import Testing

/// How endpoint jobs wait (issue 9): a job's blocking steps run on an
/// executor of its own, never on Swift's cooperative pool, and its lease's
/// heartbeat beats while the job blocks; waits for a busy endpoint suspend
/// and end when the job is cancelled.
@Suite struct JobWaitingTests {
    let directory: TemporaryDirectory
    let gateway: Gateway
    /// One more endpoint than the cooperative pool has threads, so jobs that
    /// blocked the pool would leave no thread for anything else.
    let names: [String]

    init() throws {
        directory = try TemporaryDirectory("og-job-waiting")
        chmod(directory.path, 0o755)
        let plugins = directory.file("plugins.d")
        let keystore = try BuiltProducts.stagePlugin("keystore", into: plugins)
        let environment = ["OG_DATA_DIR": directory.file("data"), "OG_PLUGIN_PATH": plugins]
        func run(_ arguments: [String]) throws {
            let output = try BuiltProducts.runOGHost(arguments, environment: environment)
            try #require(output.exitStatus == 0, "og-host \(arguments.prefix(2).joined(separator: " ")): \(output.standardErrorText)")
        }
        try run(["plugins", "manifest", keystore])
        names = (0...ProcessInfo.processInfo.activeProcessorCount).map { "pem\($0)" }
        for name in names {
            try LocalFiles.writeAtomically(directory.file("\(name).pem"), contents: [])
            try run(["tls", "add", "pem", "--name", name, "--connection_type", "local",
                     "--path", directory.file("\(name).pem"), "--key_path", directory.file("\(name).key")])
        }
        // One-second leases: without a heartbeat each would run out while its job blocks.
        gateway = try Gateway(dataDirectory: directory.file("data"), pluginDirectories: [plugins],
                              describer: ChildProcessDescriber.make(executable: try ConformanceFixtures.ogHost()),
                              environment: Environment(environment.merging(["OG_JOB_LEASE_SECONDS": "1"]) { $1 }))
    }

    /// Every job blocks its thread (as a plugin slot or an SSH read does) until
    /// this test's own task — on the cooperative pool — lets it go, long after
    /// the jobs' leases would have run out. If the jobs ran on the pool, that
    /// task could never run and they would give up blocked.
    @Test func blockingJobsLeaveTheCooperativePoolFreeAndKeepTheirLeases() async throws {
        let service = EndpointJobService(gateway: gateway)
        let started = Counter()
        let release = DispatchSemaphore(value: 0)
        let gateway = self.gateway
        try await withThrowingTaskGroup(of: (String, Bool, Bool).self) { group in
            for name in names {
                group.addTask {
                    let service = EndpointJobService(gateway: gateway)
                    let (record, plugin) = try service.endpointAndPlugin(name)
                    return try await service.withLease(on: record, plugin: plugin, kind: "install",
                                                       wait: .zero, report: { _ in }) { lease, _ in
                        started.add()
                        let released = release.wait(timeout: .now() + 600) == .success
                        return (name, released, lease.isLost)
                    }
                }
            }
            while started.value < names.count {
                try await Task.sleep(for: .milliseconds(20))
            }
            // Two and a half lease durations: only a heartbeat keeps the endpoints held.
            try await Task.sleep(for: .milliseconds(2500))
            for name in names {
                let (record, _) = try service.endpointAndPlugin(name)
                await #expect(throws: GatewayError.self, "\(name) was given to a second job while the first held it") {
                    _ = try await EndpointJobLease.acquire(gateway: gateway, endpoint: record, kind: "install", wait: .zero)
                }
            }
            for _ in names { release.signal() }
            var ended: [String] = []
            for try await (name, released, lost) in group {
                #expect(released, "\(name): its job was never let go (the pool was held)")
                #expect(!lost, "\(name): its lease was lost while the job blocked")
                ended.append(name)
            }
            #expect(ended.sorted() == names.sorted())
        }
        // Each job released its endpoint when it ended.
        for name in names {
            let (record, _) = try service.endpointAndPlugin(name)
            let lease = try await EndpointJobLease.acquire(gateway: gateway, endpoint: record, kind: "install", wait: .zero)
            lease.release()
        }
    }

    /// A job waiting for a busy endpoint stops waiting when it is cancelled and is refused as busy, saying why.
    @Test func cancelledWaitForABusyEndpointEndsTheWait() async throws {
        let service = EndpointJobService(gateway: gateway)
        let (record, _) = try service.endpointAndPlugin(names[0])
        // The holder's lease must outlast the test however slowly it runs (it has no heartbeat here).
        let patient = try Gateway(dataDirectory: directory.file("data"), pluginDirectories: [],
                                  describer: ChildProcessDescriber.make(executable: try ConformanceFixtures.ogHost()),
                                  environment: ["OG_JOB_LEASE_SECONDS": "3600"])
        let holder = try await EndpointJobLease.acquire(gateway: patient, endpoint: record, kind: "install", wait: .zero)
        defer { holder.release() }
        let gateway = self.gateway
        let waiting = Task {
            try await EndpointJobLease.acquire(gateway: gateway, endpoint: record, kind: "install", wait: .seconds(600))
        }
        try await Task.sleep(for: .milliseconds(300))
        waiting.cancel()
        let result = await waiting.result
        guard case .failure(let error as GatewayError) = result else {
            Issue.record("the cancelled wait did not end refused: \(result)")
            return
        }
        #expect(error.category == .conflict)
        #expect(error.message.contains("cancelled while waiting"), "\(error.message)")
    }
}

/// How many jobs reached their body.
private final class Counter: Sendable {
    private let count = Locked(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
