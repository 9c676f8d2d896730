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
        """,
        subcommands: [TLSCommand.self, PluginsCommand.self, PluginCommand.self, AuditCommand.self, CertCommand.self, CACommand.self, CredstoreCommand.self, ProxyCommand.self,
                      IssuerCommand.self])
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Runs a command body, printing a GatewayError the way operators expect and exiting with its code.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as GatewayError {
        FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
        throw ExitCode(error.exitCode)
    }
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
    FileHandle.standardOutput.write(Data(text.utf8))
}
