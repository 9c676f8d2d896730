import Foundation
import OGBasics
import OGPlugins

/// Runs the conformance suite in child processes (`<executable> plugin check --child`),
/// so a plugin that crashes or hangs becomes a failed check instead of a dead host.
///
/// When a child dies during check X, X fails with the signal (or "timed out"),
/// the checks that depend on X are skipped, and a new child continues with the
/// checks that have no verdict yet, until every check has one.
public enum ConformanceRunner {
    /// Checks `pluginPath` with `executable` (an og-host binary) as the child.
    /// `timeout` bounds each child run; a run cut short fails the check it was in.
    /// `fixture` is a fixture directory (`FixtureEndpoint`) the child exercises the plugin's type with.
    public static func run(pluginPath: String, executable: String, timeout: Duration = .seconds(60),
                           fixture: String? = nil) -> ConformanceReport {
        let path = pluginPath.hasPrefix("/") ? pluginPath : FileManager.default.currentDirectoryPath + "/" + pluginPath
        let order = ConformanceSuite.catalog.map(\.id)
        var verdicts: [String: ConformanceCheck] = [:]
        var runnerFailure: ConformanceCheck? = nil
        var name: String? = nil
        // Each run either finishes or gives at least one check its verdict, so this bound is never the reason to stop.
        for _ in 0...order.count {
            let skip = order.filter { verdicts[$0] != nil }
            if skip.count == order.count { break }
            let arguments = ["plugin", "check", "--child", path] + (skip.isEmpty ? [] : ["--skip", skip.joined(separator: ",")])
                + (fixture.map { ["--fixture", $0] } ?? [])
            let output: ProcessOutput
            do {
                output = try ProcessRunner.run(executable, arguments, environment: childEnvironment, timeout: timeout)
            } catch {
                runnerFailure = .fail(CheckID.childRun, "could not start \(executable) as the checking child: \(error)")
                break
            }
            let run = ChildRun(output: output, timeout: timeout)
            name = run.pluginName ?? name
            verdicts.merge(run.verdicts) { _, new in new }
            if run.finished {
                if output.exitStatus == -1, let death = run.death {
                    runnerFailure = .fail(CheckID.childExit, "\(death) after every check had finished, at process exit "
                                          + "(static destructors or atexit handlers of the plugin)")
                }
                break
            }
            guard let culprit = run.unfinishedCheck else {
                runnerFailure = .fail(CheckID.childRun, "the checking child \(run.death ?? "stopped") outside any check: "
                                      + "\(tail(output.standardErrorText)); is \(executable) an og-host with `plugin check --child`?")
                break
            }
            verdicts[culprit] = .fail(culprit, run.death ?? "exited in the middle of the check (did the plugin call exit()?)")
            for dependent in ConformanceSuite.dependents(of: culprit) where verdicts[dependent] == nil {
                verdicts[dependent] = .skip(dependent, "not run: it depends on \(culprit), which \(run.verb)")
            }
        }
        var checks = order.map { verdicts[$0] ?? .fail($0, "no verdict: the checking child never ran this check") }
        if let runnerFailure {
            checks = order.compactMap { verdicts[$0] } + [runnerFailure]
        }
        return ConformanceReport(pluginPath: path, pluginName: name, checks: checks)
    }

    /// Swift's crash backtracer would make every deliberate crash of a plugin slow and noisy.
    static var childEnvironment: [String: String] {
        var environment = EnvironmentVariable.all()
        environment["SWIFT_BACKTRACE"] = "enable=no"
        return environment
    }

    /// The last few lines of a child's stderr, for a message.
    static func tail(_ text: String) -> String {
        let lines = text.split(whereSeparator: \.isNewline).suffix(3).joined(separator: " | ")
        return lines.isEmpty ? "no output" : String(lines.suffix(400))
    }
}

/// What one child run reported and how it ended.
private struct ChildRun {
    var verdicts: [String: ConformanceCheck] = [:]
    var pluginName: String?
    /// The check that started and never ended: the one the child died in.
    var unfinishedCheck: String?
    /// The last progress note of that check (which input it was on).
    var lastNote: String?
    var finished = false
    /// How the child ended when that was not a clean exit, with where it was.
    var death: String?
    var verb = "crashed"

    init(output: ProcessOutput, timeout: Duration) {
        for event in ChildEvent.parse(output.standardOutput) {
            switch event.event {
            case .plugin: pluginName = event.name ?? pluginName
            case .start: unfinishedCheck = event.id; lastNote = nil
            case .note: lastNote = event.text
            case .end:
                if let check = event.check { verdicts[check.id] = check }
                unfinishedCheck = nil
            case .done: finished = true
            }
        }
        let during = lastNote.map { " during \($0)" } ?? ""
        if output.timedOut {
            death = "timed out after \(timeout.components.seconds) s\(during)"
            verb = "timed out"
        } else if let signal = CrashReporter.reportedSignal(in: output.standardError) {
            death = "crashed with signal \(signal) (\(CrashReporter.name(of: signal)))\(during)"
        } else if output.exitStatus == -1 {
            death = "crashed (killed by a signal)\(during)"
        } else if output.exitStatus != 0 || (!finished && unfinishedCheck != nil) {
            death = "exited with status \(output.exitStatus)\(during)"
            verb = "exited"
        }
    }
}
