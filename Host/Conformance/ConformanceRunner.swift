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
    public static func run(pluginPath: String, executable: String, timeout: Duration = .seconds(60)) -> ConformanceReport {
        let path = absolute(pluginPath)
        var verdicts: [String: ConformanceCheck] = [:]
        var extra: [ConformanceCheck] = []
        var name: String? = nil
        for _ in 0...ConformanceSuite.catalog.count {
            let skip = ConformanceSuite.catalog.map(\.id).filter { verdicts[$0] != nil }
            let arguments = ["plugin", "check", "--child", path] + (skip.isEmpty ? [] : ["--skip", skip.joined(separator: ",")])
            let output: ProcessOutput
            do {
                output = try ProcessRunner.run(executable, arguments, environment: childEnvironment, timeout: timeout)
            } catch {
                extra.append(.fail(CheckID.childRun, "could not start the checking child: \(error)"))
                break
            }
            let events = ChildEvent.parse(output.standardOutput)
            var started: String? = nil
            var lastNote: String? = nil
            var finished = false
            for event in events {
                switch event.event {
                case .plugin: name = event.name ?? name
                case .start: started = event.id; lastNote = nil
                case .note: lastNote = event.text
                case .end:
                    if let check = event.check {
                        verdicts[check.id] = check
                    }
                    started = nil
                case .done: finished = true
                }
            }
            let death = deathDescription(output, timeout: timeout)
            if finished {
                if let death, output.exitStatus == -1 {
                    extra.append(.fail(CheckID.childExit, "\(death) after every check had finished (static destructors or atexit handlers of the plugin)"))
                }
                break
            }
            guard let culprit = started, let death else {
                let status = death ?? "exited with status \(output.exitStatus)"
                extra.append(.fail(CheckID.childRun, "the checking child \(status) outside any check: \(tail(output.standardErrorText)); "
                                   + "is \(executable) an og-host that has `plugin check --child`?"))
                break
            }
            let during = lastNote.map { " during \($0)" } ?? ""
            verdicts[culprit] = .fail(culprit, "\(death)\(during)")
            let verb = output.timedOut ? "timed out" : "crashed"
            for dependent in ConformanceSuite.dependents(of: culprit) where verdicts[dependent] == nil {
                verdicts[dependent] = .skip(dependent, "not run: it depends on \(culprit), which \(verb)")
            }
        }
        var checks = ConformanceSuite.catalog.map(\.id).compactMap { verdicts[$0] }
        if extra.isEmpty {
            for definition in ConformanceSuite.catalog where verdicts[definition.id] == nil {
                checks.append(.fail(definition.id, "no verdict: the checking child never ran this check"))
            }
        }
        return ConformanceReport(pluginPath: path, pluginName: name, checks: checks + extra)
    }

    /// Swift's crash backtracer would make every deliberate crash of a plugin slow and noisy.
    static var childEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        return environment
    }

    /// How the child ended, when it did not exit with status 0.
    static func deathDescription(_ output: ProcessOutput, timeout: Duration) -> String? {
        if output.timedOut { return "timed out after \(timeout.components.seconds) s" }
        if let signal = CrashReporter.reportedSignal(in: output.standardError) {
            return "crashed with signal \(signal) (\(CrashReporter.name(of: signal)))"
        }
        if output.exitStatus == -1 { return "crashed (killed by a signal)" }
        if output.exitStatus != 0 { return "exited with status \(output.exitStatus)" }
        return nil
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The last few lines of a child's stderr, for a message.
    static func tail(_ text: String) -> String {
        let lines = text.split(whereSeparator: \.isNewline).suffix(3).joined(separator: " | ")
        return lines.isEmpty ? "no output" : String(lines.suffix(400))
    }
}
