import ArgumentParser
import Foundation
import OGHost
import OGPlugins

struct TLSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls", abstract: "Manage TLS endpoints.",
        discussion: "Add one with `og-host tls add <type> --help` for the type's options (see `og-host plugins list`).",
        subcommands: [AddHelp.self, List.self, Show.self, Remove.self, Install.self, Restart.self, Test.self, Nodes.self, Recover.self])

    /// Stands in the command tree only so `og-host tls --help` shows `add`;
    /// the real parsing is TLSAdd, since a type's options come from its plugin.
    struct AddHelp: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add an endpoint: og-host tls add <type> --name <name> --connection_type <type> [options]")
        func run() throws { throw ExitCode(TLSAdd.run([])) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List endpoints.")
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let records = try openGateway().inventory().endpoints().map(EndpointCatalog.Listing.init)
                if output == .json {
                    printOut(try JSONOutput.render(records))
                } else if records.isEmpty {
                    printOut("No endpoints. Add one with `og-host tls add <type> ...`.\n")
                } else {
                    printOut(Table.render(header: ["ID", "NAME", "TYPE", "CONNECTION", "HOST"], rows: records.map { record in
                        { listing in
                        [listing.id, listing.name, listing.type, listing.connectionType,
                         listing.port.map { "\(listing.host):\($0)" } ?? listing.host]
                    }(record)
                    }))
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one endpoint by instance ID or name.")
        @Argument(help: "Instance ID or name.") var endpoint: String
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let listing = EndpointCatalog.Listing(try EndpointCatalog(gateway: openGateway()).find(endpoint))
                if output == .json {
                    printOut(try JSONOutput.render(listing))
                    return
                }
                var lines = [("id", listing.id), ("name", listing.name), ("type", listing.type), ("plugin", listing.plugin),
                             ("connection_type", listing.connectionType), ("host", listing.host)]
                if let port = listing.port { lines.append(("port", String(port))) }
                if let user = listing.user { lines.append(("user", user)) }
                if let credential = listing.credential { lines.append(("credential", credential)) }
                for (name, value) in listing.options.sorted(by: { $0.key < $1.key }) { lines.append((name, value)) }
                for (name, value) in listing.secretOptions.sorted(by: { $0.key < $1.key }) { lines.append((name, value)) }
                lines.append(("created", ISO8601DateFormatter().string(from: listing.createdAt)))
                printOut(lines.map { "\($0.0): \($0.1)" }.joined(separator: "\n") + "\n")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an endpoint (and the secrets given inline when it was added).")
        @Argument(help: "Instance ID or name.") var endpoint: String

        func run() throws {
            try runReportingErrors {
                let gateway = try openGateway()
                let removed = try EndpointCatalog(gateway: gateway).remove(endpoint)
                gateway.audit(action: "tls.remove", subject: removed.name, success: true, detail: "instance \(removed.id)")
                printOut("Endpoint '\(removed.name)' removed (instance ID \(removed.id)).\n")
            }
        }
    }
}

/// `og-host tls add <type> [options]`: host rules, then the plugin's schema,
/// then the plugin's own validation; only then is anything written.
enum TLSAdd {
    static func run(_ words: [String]) -> Int32 {
        do {
            return try add(words)
        } catch let error as GatewayError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            return error.exitCode
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return 1
        }
    }

    static func add(_ words: [String]) throws -> Int32 {
        let gateway = try openGateway()
        guard let type = words.first, !type.hasPrefix("-") else {
            let types = gateway.registry.availableTypes
            let text = "Usage: og-host tls add <type> --name <name> --connection_type <type> [options]\n" +
                "Types: \(types.isEmpty ? "(no plugins installed; see og-host plugins list)" : types.joined(separator: ", "))\n" +
                "Options of a type: og-host tls add <type> --help\n"
            if words.contains("--help") || words.contains("-h") {
                printOut(text)
                return 0
            }
            FileHandle.standardError.write(Data("error: tls add needs an endpoint type\n\(text)".utf8))
            return 2
        }
        let entry: PluginRegistry.Entry
        do { entry = try gateway.registry.entry(forType: type) } catch { throw GatewayError("\(error)", exitCode: 2) }
        let arguments = try EndpointArguments(Array(words.dropFirst()))
        guard let info = entry.info else { throw GatewayError("plugin '\(entry.name)' has no description") }
        if arguments.wantsHelp {
            printOut(EndpointHelp.text(type: type, plugin: info))
            return 0
        }
        let draft = try EndpointValidation.draft(type: type, arguments: arguments, plugin: info,
                                                 readSecret: EndpointCatalog.readSecret)
        let (_, library) = try gateway.plugin(forType: type)
        let record = try EndpointCatalog(gateway: gateway).add(draft) { draft in
            try EndpointSession.validate(draft, plugin: library, gateway: gateway)
        }
        gateway.audit(action: "tls.add", subject: record.name, success: true,
                      detail: "instance \(record.id), type \(record.type), connection \(record.connectionType)")
        printOut("Endpoint '\(record.name)' added (type \(record.type)).\nInstance ID: \(record.id)\n")
        return 0
    }
}
