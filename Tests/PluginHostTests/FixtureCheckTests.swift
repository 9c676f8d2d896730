import Foundation
import OGBasics
import OGConformance
import OGTestSupport
import Testing

/// `plugin check --fixture DIR`: the valid-input checks run the plugin's real
/// discovery, planning, config test and activation against a directory tree
/// standing for the endpoint and scripted (or really run) commands.
@Suite struct FixtureCheckTests {
    /// DIR/root/srv/site holds server.crt and server.key, as hello-c's pem_dir expects.
    private func pemDirFixture(_ directory: TemporaryDirectory, withFiles: Bool = true) throws -> String {
        let fixture = directory.file("fixture")
        let site = fixture + "/root/srv/site"
        try FileManager.default.createDirectory(atPath: site, withIntermediateDirectories: true)
        if withFiles {
            let made = try ProcessRunner.run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                                         "-subj", "/CN=www.example.com", "-days", "2", "-keyout", site + "/server.key",
                                                         "-out", site + "/server.crt"])
            try #require(made.exitStatus == 0, "openssl could not make a certificate: \(made.standardErrorText)")
        }
        try LocalFiles.writeAtomically(fixture + "/fixture.json", contents: Array("""
            { "type": "pem_dir", "options": { "cert_dir": "/srv/site" },
              "certificate": { "common_name": "www.example.com", "dns_names": ["www.example.com"] } }
            """.utf8))
        return fixture
    }

    @Test func fixtureDrivesDiscoveryPlanningAndConfigTestOfTheCExample() throws {
        let directory = try TemporaryDirectory("og-fixture")
        let fixture = try pemDirFixture(directory)
        let library = try ConformanceFixtures.helloC(into: directory.path)
        let report = ConformanceRunner.run(pluginPath: library, executable: try ConformanceFixtures.ogHost(), fixture: fixture)
        #expect(report.isSuccess, "\(report.text)")
        let discovery = try #require(report.check("slot.discover_nodes.valid_input"))
        #expect(discovery.detail.contains("pem_dir (fixture): OK, 1 node(s): server"), "\(discovery.detail)")
        let plan = try #require(report.check("slot.plan_install.valid_input"))
        #expect(plan.detail.contains("plan for node 'server'"), "\(plan.detail)")
        #expect(plan.detail.contains("2 file change(s)"), "\(plan.detail)")
        #expect(try #require(report.check("slot.config_test.valid_input")).detail.contains("pem_dir (fixture): OK"))
        // The fixture itself is untouched: the checks ran against a private copy.
        #expect(FileManager.default.fileExists(atPath: fixture + "/root/srv/site/server.crt"))
    }

    @Test func fixtureEndpointThatThePluginRefusesFailsTheCheckWithThePluginsReason() throws {
        let directory = try TemporaryDirectory("og-fixture")
        let fixture = try pemDirFixture(directory, withFiles: false)
        let library = try ConformanceFixtures.helloC(into: directory.path)
        let report = ConformanceRunner.run(pluginPath: library, executable: try ConformanceFixtures.ogHost(), fixture: fixture)
        #expect(!report.isSuccess)
        let configTest = try #require(report.check("slot.config_test.valid_input"))
        #expect(configTest.outcome == .fail)
        #expect(configTest.detail.contains("/srv/site/server.crt is missing or empty"), "\(configTest.detail)")
        #expect(configTest.detail.contains("for the fixture endpoint, whose inputs are valid"), "\(configTest.detail)")
    }

    /// A command the fixture runs for real that leaves a process behind: activate
    /// gets the command's own status and output back, as from the real host.
    @Test func fixtureCommandThatLeavesAProcessBehindReturnsPromptly() throws {
        let directory = try TemporaryDirectory("og-fixture")
        let fixture = directory.file("fixture")
        // store_dir is a real directory of the gateway (the command really runs there) that the
        // fixture's root also holds (the plugin's stat and listing look there).
        let state = directory.file("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: fixture + "/root" + state, withIntermediateDirectories: true)
        try LocalFiles.writeAtomically(fixture + "/fixture.json", contents: Array("""
            { "type": "fixture_store", "options": { "store_dir": "\(state)" },
              "commands": [ { "argv_prefix": ["sh", "-c"], "run": true }, { "argv": ["true"], "exit": 0 } ] }
            """.utf8))
        let library = try ConformanceFixtures.compile("daemonizes", into: directory.path)
        defer {
            if let pid = (try? String(contentsOfFile: state + "/left-behind.pid", encoding: .utf8))
                .flatMap({ pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) { kill(pid, SIGKILL) }
        }
        let report = ConformanceRunner.run(pluginPath: library, executable: try ConformanceFixtures.ogHost(), fixture: fixture)
        let activate = try #require(report.check("slot.activate.valid_input"))
        #expect(activate.outcome == .pass, "\(activate.detail)")
        #expect(activate.detail.contains("fixture_store (fixture) with a request: OK"), "\(activate.detail)")
    }

    @Test func unusableFixtureIsRefusedNamingTheField() throws {
        let directory = try TemporaryDirectory("og-fixture")
        let fixture = directory.file("fixture")
        try FileManager.default.createDirectory(atPath: fixture, withIntermediateDirectories: true)
        try LocalFiles.writeAtomically(fixture + "/fixture.json", contents: Array(#"{ "options": {} }"#.utf8))
        let library = try ConformanceFixtures.helloC(into: directory.path)
        let result = try ProcessRunner.run(try ConformanceFixtures.ogHost(), ["plugin", "check", library, "--fixture", fixture])
        #expect(result.exitStatus == 2)
        #expect(result.standardErrorText.contains("fixture.json: 'type' is missing"), "\(result.standardErrorText)")
    }
}
