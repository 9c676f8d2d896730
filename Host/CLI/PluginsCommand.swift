import ArgumentParser
import Foundation
import OGHost

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "List and inspect endpoint plugins.",
        subcommands: [List.self, Info.self, Manifest.self, Describe.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List every plugin found, with its status or why it was refused.")
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let gateway = try openGateway()
                let listed = PluginListing.rows(gateway.registry)
                printOut(output == .json ? try JSONOutput.render(listed)
                                         : PluginListing.text(listed, searchPath: gateway.searchPath))
            }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "info", abstract: "Show an endpoint type: its plugin, connection types and options.")
        @Argument(help: "An endpoint type, e.g. p12 or nginx.") var type: String
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let entry = try openGateway().entry(forType: type)
                guard let details = PluginPresentation.info(type: type, entry: entry) else {
                    throw GatewayError("plugin '\(entry.name)' does not describe type '\(type)'")
                }
                printOut(output == .json ? try JSONOutput.render(details) : EndpointHelp.infoText(details))
            }
        }
    }

    struct Manifest: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "manifest", 
            abstract: "Load plugin libraries and write the manifest beside each (what packagers ship with the .so).")
        @Argument(help: "Paths of libog-plugin-<name>.so files.") var libraries: [String]

        func run() throws {
            try runReportingErrors {
                var failed = false
                for (_, result) in PluginManifests.write(libraries: libraries, executable: currentExecutable()) {
                    switch result {
                    case .success(let manifest):
                        printOut("wrote \(manifest)\n")
                    case .failure(let error):
                        StandardStreams.error("error: \(error.message)\n")
                        failed = true
                    }
                }
                if failed { throw GatewayError("some manifests were not written") }
            }
        }
    }

    /// Hidden: the child side of describing a library without a manifest.
    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "describe", shouldDisplay: false)
        @Flag(name: .long) var child = false
        @Argument var path: String

        func run() throws {
            throw ExitCode(ChildProcessDescriber.describeForParent(path: path))
        }
    }
}
