import ArgumentParser
import Foundation
import OGConformance
import OGHost

struct PluginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin", abstract: "Work with one plugin library.", subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the conformance suite against a plugin library, isolated in a child process.",
            discussion: "A crash or hang in the plugin is reported as a failed check. Exits non-zero if any check fails.")
        @Argument(help: "Path of a libog-plugin-<name>.so file.") var path: String
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text
        @Flag(name: .long, help: .hidden) var child = false
        @Option(name: .long, help: .hidden) var skip: String?

        func run() throws {
            if child {
                let skipping = Set((skip ?? "").split(separator: ",").map(String.init))
                throw ExitCode(ConformanceSuite.runAsChild(path: path, skipping: skipping))
            }
            try runReportingErrors {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw GatewayError("\(path): no such file", exitCode: 2)
                }
                let report = ConformanceRunner.run(pluginPath: path, executable: currentExecutable())
                printOut(output == .json ? try JSONOutput.render(report) : report.text)
                if !report.isSuccess { throw ExitCode(1) }
            }
        }
    }
}
