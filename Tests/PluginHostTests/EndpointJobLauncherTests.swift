import Foundation
import OGBasics
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
