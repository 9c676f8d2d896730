import ArgumentParser
import Foundation
import OGHost
import OGPlugins

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "List and inspect endpoint plugins.",
        subcommands: [List.self, Info.self, Manifest.self, Describe.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every plugin found, with its status or why it was refused.")
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let gateway = try openGateway()
                let listed = PluginPresentation.list(gateway.registry)
                printOut(output == .json ? try JSONOutput.render(listed)
                                         : PluginPresentation.listText(listed, searchPath: gateway.searchPath))
            }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an endpoint type: its plugin, connection types and options.")
        @Argument(help: "An endpoint type, e.g. p12 or nginx.") var type: String
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let gateway = try openGateway()
                let entry: PluginRegistry.Entry
                do { entry = try gateway.registry.entry(forType: type) } catch { throw GatewayError("\(error)", exitCode: 2) }
                guard let details = PluginPresentation.info(type: type, entry: entry) else {
                    throw GatewayError("plugin '\(entry.name)' does not describe type '\(type)'")
                }
                printOut(output == .json ? try JSONOutput.render(details) : PluginPresentation.infoText(details))
            }
        }
    }

    struct Manifest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load plugin libraries and write the manifest beside each (what packagers ship with the .so).")
        @Argument(help: "Paths of libog-plugin-<name>.so files.") var libraries: [String]

        func run() throws {
            try runReportingErrors {
                var failed = false
                for path in libraries {
                    if let problem = PluginTrust.problem(with: path) {
                        FileHandle.standardError.write(Data("error: \(path): refused: \(problem)\n".utf8))
                        failed = true
                        continue
                    }
                    // Loaded in a child so one crashing library does not stop the others.
                    switch ChildProcessDescriber.make(executable: currentExecutable())(path) {
                    case .success(let manifest):
                        do {
                            try manifest.write(besideLibrary: path)
                            printOut("wrote \(PluginManifest.path(forLibrary: path))\n")
                        } catch {
                            FileHandle.standardError.write(Data("error: \(path): \(error)\n".utf8))
                            failed = true
                        }
                    case .failure(let error):
                        FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
                        failed = true
                    }
                }
                if failed { throw GatewayError("some manifests were not written", exitCode: 1) }
            }
        }
    }

    /// Hidden: the child side of describing a library without a manifest.
    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(shouldDisplay: false)
        @Flag(name: .long) var child = false
        @Argument var path: String

        func run() throws {
            throw ExitCode(ChildProcessDescriber.describeForParent(path: path))
        }
    }
}
