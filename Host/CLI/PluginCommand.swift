import ArgumentParser
import Foundation

import OGHost

struct PluginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin", abstract: "Work with one plugin library.", subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", 
            abstract: "Run the conformance suite against a plugin library, isolated in a child process.",
            discussion: "A crash or hang in the plugin is reported as a failed check. Exits non-zero if any check fails.")
        @Argument(help: "Path of a libog-plugin-<name>.so file.") var path: String
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text
        @Option(name: .long, help: "A fixture endpoint directory (fixture.json + root/) the valid-input checks exercise the plugin's type with; see SDK/README.md.")
        var fixture: String?
        @Flag(name: .long, help: .hidden) var child = false
        @Option(name: .long, help: .hidden) var skip: String?

        func run() throws {
            if child {
                let skipping = Set((skip ?? "").split(separator: ",").map(String.init))
                let endpoint: FixtureEndpoint?
                do {
                    endpoint = try fixture.map { try FixtureEndpoint(directory: $0) }
                } catch {
                    StandardStreams.error("\(error)\n")
                    throw ExitCode(2)
                }
                throw ExitCode(ConformanceSuite.runAsChild(path: path, skipping: skipping, fixture: endpoint))
            }
            try runReportingErrors {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw GatewayError("\(path): no such file", category: .notFound)
                }
                if let fixture {
                    // Refused here, with its reason, rather than as a dead checking child.
                    do { _ = try FixtureEndpoint(directory: fixture) } catch { throw GatewayError.option("fixture", "\(error)") }
                }
                let report = ConformanceRunner.run(pluginPath: path, executable: currentExecutable(),
                                                   fixture: fixture.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 })
                printOut(output == .json ? try JSONOutput.render(report) : GatewayError.rendering(report.text, fieldName: optionSpelling))
                if !report.isSuccess { throw ExitCode(1) }
            }
        }
    }
}
