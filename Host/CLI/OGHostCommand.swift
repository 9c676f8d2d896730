import ArgumentParser
import Foundation
import OGHost

struct OGHostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "og-host",
        abstract: "Certificate orchestration gateway: installs TLS certificates on endpoints through plugins.",
        discussion: """
        Global options (accepted anywhere): --data-dir DIR (or OG_DATA_DIR) chooses where state lives;
        --plugins-dir DIR, repeatable (or OG_PLUGIN_PATH, colon-separated), replaces the plugin search path.
        --verbose (debug logs: each step, each command run, plugin messages), --quiet (errors only) and
        --log-format text|json (or OG_LOG_LEVEL, OG_LOG_FORMAT): logs go to standard error, one line per record,
        each job's lines carrying its job ID, endpoint and plugin.

        Exit codes:
        \(GatewayError.Category.exitCodeTable)
        """,
        version: GatewayVersion.text,
        subcommands: [TLSCommand.self, PluginsCommand.self, PluginCommand.self, AuditCommand.self, CertCommand.self, CACommand.self, CredstoreCommand.self, ProxyCommand.self,
                      IssuerCommand.self, JobCommand.self, RenewCommand.self, ServeCommand.self, StatusCommand.self])
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Runs a command body; any error is printed the way operators expect (the
/// field it is about spelled as its option) and ends og-host with the exit
/// code of its category.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        throw ExitCode(reportError(error))
    }
}

/// `runReportingErrors` for commands whose jobs wait (AsyncParsableCommand).
func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        throw ExitCode(reportError(error))
    }
}

/// Prints `error` on standard error and returns its exit code.
func reportError(_ error: any Error) -> Int32 {
    let failure = GatewayError.classify(error)
    StandardStreams.error("error: \(failure.message(fieldName: optionSpelling))\n")
    return failure.exitCode
}

/// How the CLI spells a field the library names: `chain` is `--chain`.
func optionSpelling(_ field: String) -> String { "--" + field }

/// Prints a job's report line (`printLine` spells the fields it mentions as options).
func printReport(_ line: String) {
    printLine(line)
}

/// The gateway for this invocation; plugins without a manifest are described in a child og-host.
func openGateway() throws -> Gateway {
    try Gateway(dataDirectory: nil, pluginDirectories: [],
                describer: ChildProcessDescriber.make(executable: currentExecutable()))
}

func currentExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

func printOut(_ text: String) {
    StandardStreams.output(text)
}

/// One line of text output; fields the library mentions ("field `name`") are spelled as options.
func printLine(_ line: String) {
    printOut(GatewayError.rendering(line, fieldName: optionSpelling) + "\n")
}
