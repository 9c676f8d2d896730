import Foundation
import OGBasics
import OGConformance
import OGHost
import OGPlugins
import OGTestSupport
import Testing

/// One broken fixture and the verdict that must single it out.
struct BrokenPlugin: Sendable, CustomTestStringConvertible {
    let name: String
    let failingCheck: String
    let detail: String
    var timeout: Duration = .seconds(60)

    var testDescription: String { name }
}

/// The conformance kit against real libraries, through the real og-host child:
/// the SDK examples must pass every check, and each broken fixture must fail
/// the one check that names what it broke, without taking this process down.
@Suite struct ConformanceTests {
    static let brokenPlugins: [BrokenPlugin] = [
        BrokenPlugin(name: "missing-entry", failingCheck: "entry.symbol", detail: "no og_plugin_entry() symbol"),
        BrokenPlugin(name: "refuses-abi", failingCheck: "abi.current_minor", detail: "refused ABI 1.2 (status 12"),
        BrokenPlugin(name: "wrong-major", failingCheck: "abi.current_minor", detail: "its table says abi_major 2"),
        BrokenPlugin(name: "small-table", failingCheck: "table.layout", detail: "struct_size 8 is smaller than the 1.0 table"),
        BrokenPlugin(name: "bad-option-name", failingCheck: "descriptor.valid", detail: "option 'Store-Dir': name must match"),
        BrokenPlugin(name: "enum-without-values", failingCheck: "descriptor.valid",
                     detail: "option 'flavour': an enumeration needs allowed values"),
        BrokenPlugin(name: "duplicate-type", failingCheck: "descriptor.valid", detail: "endpoint type 'fixture_store' is listed twice"),
        BrokenPlugin(name: "host-option", failingCheck: "descriptor.valid", detail: "option 'port': the host owns this option"),
        BrokenPlugin(name: "name-mismatch", failingCheck: "descriptor.name_matches_file",
                     detail: "the descriptor says 'renamed' but the file name says 'name-mismatch'"),
        BrokenPlugin(name: "unstable-describe", failingCheck: "descriptor.stable", detail: "return the same static descriptor every time"),
        BrokenPlugin(name: "capability-mismatch", failingCheck: "slots.capabilities",
                     detail: "discover_nodes is set but no endpoint type advertises 'discover'"),
        BrokenPlugin(name: "crash-describe", failingCheck: "descriptor.valid", detail: "crashed with signal 11 (SIGSEGV)"),
        BrokenPlugin(name: "crash-discover", failingCheck: "slot.discover_nodes.valid_input", detail: "crashed with signal 11 (SIGSEGV)"),
        BrokenPlugin(name: "crash-hostile", failingCheck: "slot.test_connection.hostile_input",
                     detail: "crashed with signal 11 (SIGSEGV) during fixture_store with NULL og_str pointers with length 0"),
        BrokenPlugin(name: "null-result", failingCheck: "slot.discover_nodes.valid_input",
                     detail: "returned OK without a node list (*out is NULL)"),
        BrokenPlugin(name: "leaks-host-results", failingCheck: "slot.discover_nodes.valid_input",
                     detail: "kept 1 host result(s) without releasing them (list_directory ×1)"),
        BrokenPlugin(name: "exits-in-slot", failingCheck: "slot.config_test.valid_input",
                     detail: "exited with status 3 during fixture_store with plausible input"),
        BrokenPlugin(name: "release-null-crash", failingCheck: "release.null", detail: "crashed with signal 11 (SIGSEGV)"),
        BrokenPlugin(name: "hangs", failingCheck: "slot.test_connection.valid_input", detail: "timed out after 10 s",
                     timeout: .seconds(10)),
    ]

    @Test(arguments: brokenPlugins)
    func brokenPluginFailsTheCheckNamingWhatItBroke(_ plugin: BrokenPlugin) throws {
        let directory = try TemporaryDirectory("og-conformance")
        let library = try ConformanceFixtures.compile(plugin.name, into: directory.path)
        let report = ConformanceRunner.run(pluginPath: library, executable: try ConformanceFixtures.ogHost(), timeout: plugin.timeout)

        #expect(!report.isSuccess)
        let check = try #require(report.check(plugin.failingCheck), "no verdict for \(plugin.failingCheck):\n\(report.text)")
        #expect(check.outcome == .fail, "\(report.text)")
        #expect(check.detail.contains(plugin.detail), "\(check.detail)")
        // Every check still gets a verdict, and the runner itself had nothing to complain about.
        #expect(report.checks.map(\.id) == ConformanceSuite.catalog.map(\.id), "\(report.text)")
    }

    @Test func helloCPassesEveryCheck() throws {
        let directory = try TemporaryDirectory("og-conformance")
        let report = ConformanceRunner.run(pluginPath: try ConformanceFixtures.helloC(into: directory.path),
                                           executable: try ConformanceFixtures.ogHost())
        #expect(report.isSuccess, "\(report.text)")
        #expect(report.pluginName == "hello-c")
        #expect(report.checks.map(\.id) == ConformanceSuite.catalog.map(\.id))
        // Capability-gated slots are skipped with a reason, not silently passed.
        #expect(report.check("slot.apply_install.valid_input")?.outcome == .skip)
        #expect(report.check("slot.apply_install.valid_input")?.detail.contains("'apply'") == true)
    }

    @Test func helloSwiftPassesEveryCheck() throws {
        let report = ConformanceRunner.run(pluginPath: try ConformanceFixtures.helloSwift(), executable: try ConformanceFixtures.ogHost())
        #expect(report.isSuccess, "\(report.text)")
        #expect(report.pluginName == "hello-swift")
        #expect(report.check("slot.discover_nodes.hostile_input")?.outcome == .pass, "\(report.text)")
    }

    @Test func completeFixtureExercisesEverySlotAndPasses() throws {
        let directory = try TemporaryDirectory("og-conformance")
        let report = ConformanceRunner.run(pluginPath: try ConformanceFixtures.compile("complete", into: directory.path),
                                           executable: try ConformanceFixtures.ogHost())
        #expect(report.isSuccess, "\(report.text)")
        // Nothing is skipped: every slot, the concurrency check and shutdown really ran.
        #expect(report.skipped == 0, "\(report.text)")
        #expect(report.check("slots.concurrent")?.detail.contains("from 4 threads") == true)
    }

    @Test func pluginWritingToStandardOutputDoesNotCorruptTheChildProtocol() throws {
        let directory = try TemporaryDirectory("og-conformance")
        let report = ConformanceRunner.run(pluginPath: try ConformanceFixtures.compile("chatty", into: directory.path),
                                           executable: try ConformanceFixtures.ogHost())
        #expect(report.isSuccess, "\(report.text)")
        #expect(report.checks.map(\.id) == ConformanceSuite.catalog.map(\.id))
    }

    @Test func checksAfterACrashStillRunInAFreshChild() throws {
        let directory = try TemporaryDirectory("og-conformance")
        let report = ConformanceRunner.run(pluginPath: try ConformanceFixtures.compile("crash-discover", into: directory.path),
                                           executable: try ConformanceFixtures.ogHost())
        #expect(report.check("slot.discover_nodes.valid_input")?.outcome == .fail)
        // The hostile variant of the crashing slot would only crash again; the concurrent check calls it too.
        #expect(report.check("slot.discover_nodes.hostile_input")?.detail
                == "not run: it depends on slot.discover_nodes.valid_input, which crashed")
        #expect(report.check("slots.concurrent")?.outcome == .skip)
        // Checks after the crash ran in the restarted child and passed.
        #expect(report.check("slot.plan_install.valid_input")?.outcome == .pass, "\(report.text)")
        #expect(report.check("slot.shutdown")?.outcome == .pass, "\(report.text)")
        #expect(report.failed == 1, "\(report.text)")
    }

    @Test func childThatIsNotOgHostIsReportedAsARunnerFailure() throws {
        let directory = try TemporaryDirectory("og-conformance")
        let library = try ConformanceFixtures.compile("complete", into: directory.path)
        let report = ConformanceRunner.run(pluginPath: library, executable: "/bin/false")
        #expect(!report.isSuccess)
        let failure = try #require(report.check("runner.child"), "\(report.text)")
        #expect(failure.detail.hasPrefix("the checking child exited with status 1 outside any check"), "\(failure.detail)")
        #expect(failure.detail.contains("is /bin/false an og-host with `plugin check --child`?"))
    }

    @Test func registryRefusesFixturesThatFailToLoadAndKeepsTheGoodOnes() throws {
        let directory = try TemporaryDirectory("og-conformance")
        _ = try ConformanceFixtures.helloC(into: directory.path)
        for plugin in Self.brokenPlugins {
            _ = try ConformanceFixtures.compile(plugin.name, into: directory.path)
        }
        // Loading crash-describe in this process would kill the test run: describe in a child.
        let registry = PluginRegistry(searchPath: PluginSearchPath(directories: [directory.path]),
                                      describe: ChildProcessDescriber.make(executable: try ConformanceFixtures.ogHost()))
        func entry(_ name: String) throws -> PluginRegistry.Entry {
            try #require(registry.entries.first { $0.name == name }, "\(name) is not listed: \(registry.entries.map(\.name))")
        }
        let refusedAtLoad: [String: String] = [
            "missing-entry": "no og_plugin_entry() symbol",
            "refuses-abi": "refused ABI 1.2",
            "wrong-major": "table says ABI major 2",
            "small-table": "struct_size 8 is too small",
            "bad-option-name": "option 'Store-Dir'",
            "enum-without-values": "an enumeration needs allowed values",
            "duplicate-type": "is listed twice",
            "host-option": "the host owns this option",
            "name-mismatch": "declares name 'renamed'",
            "crash-describe": "crashed",
        ]
        for (name, reason) in refusedAtLoad {
            let refused = try entry(name)
            #expect(refused.status == .refused, "\(name): \(refused)")
            #expect(refused.reason?.contains(reason) == true, "\(name): \(refused.reason ?? "no reason")")
        }
        // Broken only in ways loading cannot see: the conformance suite is what catches them.
        for name in ["hello-c", "crash-discover", "crash-hostile", "null-result", "leaks-host-results", "release-null-crash",
                     "hangs", "unstable-describe", "capability-mismatch", "exits-in-slot"] {
            let available = try entry(name)
            #expect(available.status == .available, "\(name): \(available.reason ?? "")")
        }
        #expect(registry.availableTypes == ["fixture_store", "pem_dir"])
    }

    @Test func inProcessSuitePassesWellBehavedPluginsAndLeavesShutdownToAChild() throws {
        let directory = try TemporaryDirectory("og-conformance")
        for library in [try ConformanceFixtures.compile("complete", into: directory.path), try ConformanceFixtures.helloC(into: directory.path)] {
            let report = ConformanceSuite.runInProcess(pluginPath: library)
            #expect(report.isSuccess, "\(report.text)")
            #expect(report.checks.map(\.id) == ConformanceSuite.catalog.map(\.id))
        }
        let report = ConformanceSuite.runInProcess(pluginPath: try ConformanceFixtures.compile("complete", into: directory.path))
        #expect(report.check("slot.shutdown")?.outcome == .skip)
        #expect(report.check("slot.shutdown")?.detail.contains("only called in a child process") == true)
    }

    @Test func inProcessSuiteFlagsAHostResultLeakOnlyOnTheLeakingSlot() throws {
        let directory = try TemporaryDirectory("og-conformance")
        let report = ConformanceSuite.runInProcess(pluginPath: try ConformanceFixtures.compile("leaks-host-results", into: directory.path))
        let failing = report.checks.filter { $0.outcome == .fail }.map(\.id)
        #expect(failing == ["slot.discover_nodes.valid_input", "slot.discover_nodes.hostile_input", "slots.concurrent"], "\(report.text)")
    }

    @Test func reportReadsAsOneLinePerCheckAndRoundTripsThroughJSON() throws {
        let directory = try TemporaryDirectory("og-conformance")
        let report = ConformanceRunner.run(pluginPath: try ConformanceFixtures.compile("null-result", into: directory.path),
                                           executable: try ConformanceFixtures.ogHost())
        #expect(report.text.hasSuffix(" skipped\n"))
        let lines = report.text.split(separator: "\n").map(String.init)
        #expect(lines.count == report.checks.count + 1)
        #expect(lines.contains { $0.hasPrefix("FAIL slot.discover_nodes.valid_input — fixture_store: returned OK without a node list") })
        #expect(lines.contains("PASS entry.symbol — dlopen(RTLD_NOW) succeeded and og_plugin_entry() is exported"))
        #expect(lines.last == "null-result (\(report.pluginPath)): \(report.passed) passed, \(report.failed) failed, \(report.skipped) skipped")

        let json = report.json
        #expect(json.contains("\"plugin_path\""))
        #expect(json.contains("\"is_success\" : false"))
        #expect(try ConformanceReport.decode(json: Array(json.utf8)) == report)
    }

    /// The suite mentions the field a plugin named the library way; only the CLI spells it as an option.
    @Test func reportMentionsThePluginsFieldAndTheCLISpellsItAsAnOption() throws {
        let directory = try TemporaryDirectory("og-conformance")
        let complete = try ConformanceFixtures.compile("complete", into: directory.path)
        let report = ConformanceSuite.runInProcess(pluginPath: complete)
        #expect(report.text.contains("(field `store_dir`: is not a directory on the endpoint"), "\(report.text)")
        #expect(!report.text.contains("(--store_dir:"), "\(report.text)")

        let printed = try ProcessRunner.run(try ConformanceFixtures.ogHost(), ["plugin", "check", complete])
        #expect(printed.exitStatus == 0, "\(printed.standardOutputText)\(printed.standardErrorText)")
        #expect(printed.standardOutputText.contains("(--store_dir: is not a directory on the endpoint"), "\(printed.standardOutputText)")
        #expect(!printed.standardOutputText.contains("field `"), "\(printed.standardOutputText)")
    }

    @Test func pluginCheckCommandReportsAndExitsNonZeroForABrokenPlugin() throws {
        let directory = try TemporaryDirectory("og-conformance")
        let broken = try ConformanceFixtures.compile("null-result", into: directory.path)
        let failing = try ProcessRunner.run(try ConformanceFixtures.ogHost(), ["plugin", "check", broken, "--output", "json"])
        #expect(failing.exitStatus == 1, "\(failing.standardErrorText)")
        let report = try ConformanceReport.decode(json: failing.standardOutput)
        #expect(report.check("slot.discover_nodes.valid_input")?.outcome == .fail)

        let good = try ConformanceFixtures.compile("complete", into: directory.path)
        let passing = try ProcessRunner.run(try ConformanceFixtures.ogHost(), ["plugin", "check", good])
        #expect(passing.exitStatus == 0, "\(passing.standardOutputText)\(passing.standardErrorText)")
        #expect(passing.standardOutputText.contains("PASS slots.concurrent"))
    }
}
