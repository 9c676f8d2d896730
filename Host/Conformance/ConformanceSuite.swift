/// The checks of `og-host plugin check`, run in the current process against one library.
///
/// A plugin that crashes takes this process with it: run untrusted or unfinished
/// plugins through `ConformanceRunner`, which runs the suite in a child process.
public enum ConformanceSuite {
    /// Runs every check here and returns the verdicts. For tests of well-behaved
    /// plugins; `slot.shutdown` is skipped because the plugin stays loaded.
    public static func runInProcess(pluginPath: String) -> ConformanceReport {
        var name: String? = nil
        let run = SuiteRun(plugin: PluginUnderTest(path: pluginPath, runsInChild: false)) { event in
            if case .pluginName(let announced) = event { name = announced }
        }
        let checks = run.execute(skipping: [])
        return ConformanceReport(pluginPath: pluginPath, pluginName: name, checks: checks)
    }

    static let checks: [SuiteCheck] = {
        var checks: [SuiteCheck] = [
            SuiteCheck(CheckID.entrySymbol, "the library loads with RTLD_NOW and exports og_plugin_entry()",
                       dependsOn: []) { $0.checkEntrySymbol() },
            SuiteCheck(CheckID.hostLoader, "og-host's own loader accepts the library (negotiation, table, descriptor, name)",
                       dependsOn: [CheckID.entrySymbol]) { $0.checkHostLoader() },
            SuiteCheck(CheckID.currentMinor, "the host's current ABI is accepted with a table of that major and no newer minor",
                       dependsOn: [CheckID.entrySymbol]) { $0.checkCurrentMinor() },
            SuiteCheck(CheckID.olderMinor, "an older minor is accepted, or refused with OG_ERR_ABI_MISMATCH and *out untouched",
                       dependsOn: [CheckID.entrySymbol]) { $0.checkOlderMinor() },
            SuiteCheck(CheckID.newerMinor, "a newer minor is accepted with a table minor no higher than offered",
                       dependsOn: [CheckID.entrySymbol]) { $0.checkNewerMinor() },
            SuiteCheck(CheckID.wrongMajor, "majors 2 and 0 are refused with OG_ERR_ABI_MISMATCH and *out untouched",
                       dependsOn: [CheckID.entrySymbol]) { $0.checkWrongMajor() },
            SuiteCheck(CheckID.tableLayout, "the table is at least the 1.0 size and has describe and release",
                       dependsOn: [CheckID.currentMinor]) { $0.checkTableLayout() },
            SuiteCheck(CheckID.releaseNull, "release(NULL) is ignored",
                       dependsOn: [CheckID.currentMinor]) { $0.checkReleaseNull() },
            SuiteCheck(CheckID.descriptorValid, "the descriptor passes the host's validation",
                       dependsOn: [CheckID.currentMinor]) { $0.checkDescriptorValid() },
            SuiteCheck(CheckID.nameMatchesFile, "the declared name matches libog-plugin-<name>.so",
                       dependsOn: [CheckID.descriptorValid]) { $0.checkNameMatchesFile() },
            SuiteCheck(CheckID.describeStable, "describe() returns the same pointer every time, from any thread",
                       dependsOn: [CheckID.descriptorValid]) { $0.checkDescribeStable() },
            SuiteCheck(CheckID.capabilities, "a slot is set exactly when some type advertises its capability",
                       dependsOn: [CheckID.descriptorValid]) { $0.checkCapabilities() },
        ]
        for slot in OperationSlot.allCases {
            checks.append(SuiteCheck(CheckID.validInput(slot),
                                     "\(slot.rawValue) answers plausible input with a status; results are well-formed, host results released",
                                     dependsOn: [CheckID.descriptorValid]) { $0.checkValidInput(slot) })
            checks.append(SuiteCheck(CheckID.hostileInput(slot),
                                     "\(slot.rawValue) answers empty, NULL, 1 MiB, invalid UTF-8, unknown and oversized input with a status",
                                     dependsOn: [CheckID.descriptorValid, CheckID.validInput(slot)]) { $0.checkHostileInput(slot) })
        }
        checks.append(SuiteCheck(CheckID.concurrentSlots, "a thread-safe plugin answers slot calls from 4 threads at once",
                                 dependsOn: [CheckID.descriptorValid] + OperationSlot.allCases.map(CheckID.validInput)) { $0.checkConcurrentSlots() })
        checks.append(SuiteCheck(CheckID.shutdown, "shutdown() returns (called last, in a child process only)",
                                 dependsOn: [CheckID.currentMinor]) { $0.checkShutdown() })
        return checks
    }()
}
