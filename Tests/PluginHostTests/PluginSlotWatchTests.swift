import Foundation
import OGBasics
import OGTestSupport
import Testing

/// An og-host that runs plugin code itself (the CLI, a job's child) and is
/// taken down by it says which plugin and which slot did it: a segfault is
/// reported with the signal before the process dies of it, and a slot that
/// never returns is ended after `OG_PLUGIN_SLOT_TIMEOUT_SECONDS` (exit 8).
@Suite struct PluginSlotWatchTests {
    func world(_ fixture: String) throws -> (TemporaryDirectory, [String: String]) {
        let directory = try TemporaryDirectory("og-slot-watch")
        chmod(directory.path, 0o755)
        let plugins = directory.file("plugins.d")
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        try FileManager.default.createDirectory(atPath: directory.file("store"), withIntermediateDirectories: true)
        let library = try ConformanceFixtures.compile(fixture, into: plugins)
        chmod(library, 0o755)
        let environment = ["OG_DATA_DIR": directory.file("data"), "OG_PLUGIN_PATH": plugins, "SWIFT_BACKTRACE": "enable=no"]
        let manifest = try BuiltProducts.runOGHost(["plugins", "manifest", library], environment: environment)
        try #require(manifest.exitStatus == 0, "\(manifest.standardErrorText)")
        let add = try BuiltProducts.runOGHost(["tls", "add", "fixture_store", "--name", "store", "--connection_type", "local",
                                               "--store_dir", directory.file("store")], environment: environment)
        try #require(add.exitStatus == 0, "tls add: \(add.standardErrorText)")
        return (directory, environment)
    }

    @Test func aSegfaultInASlotNamesThePluginTheSlotAndTheSignal() throws {
        let (directory, environment) = try world("crash-discover")
        _ = directory
        let result = try BuiltProducts.runOGHost(["tls", "nodes", "store"], environment: environment)
        #expect(result.terminationSignal == SIGSEGV, "exit \(result.exitStatus): \(result.standardErrorText)")
        #expect(result.standardErrorText.contains(
            "og-host: the plugin 'crash-discover' crashed in its discover_nodes slot (signal 11, SIGSEGV)"),
                "\(result.standardErrorText)")
    }

    @Test func aSlotThatNeverReturnsIsEndedAfterItsTimeout() throws {
        let (directory, environment) = try world("hangs")
        _ = directory
        let result = try BuiltProducts.runOGHost(["tls", "test", "store"],
                                                 environment: environment.merging(["OG_PLUGIN_SLOT_TIMEOUT_SECONDS": "2"]) { $1 },
                                                 timeout: .seconds(60))
        #expect(result.exitStatus == 8, "\(result.standardErrorText)")
        #expect(result.standardErrorText.contains(
            "og-host: the plugin 'hangs' did not return from its test_connection slot within 2 s"), "\(result.standardErrorText)")
    }
}
