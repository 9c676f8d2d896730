import ArgumentParser
import Foundation
import OGHost

struct TLSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls", abstract: "Manage TLS endpoints.",
        discussion: "Add one with `og-host tls add <type> --help` for the type's options (see `og-host plugins list`).",
        subcommands: [AddHelp.self, UpdateHelp.self, List.self, Show.self, Remove.self, Install.self, Restart.self, Test.self, Nodes.self, Recover.self])

    /// Stands in the command tree only so `og-host tls --help` shows `add`;
    /// the real parsing is TLSAdd, since a type's options come from its plugin.
    struct AddHelp: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add an endpoint: og-host tls add <type> --name <name> --connection_type <type> [options]")
        func run() throws { throw ExitCode(TLSAdd.run([])) }
    }

    /// Like AddHelp: `tls update` is parsed by TLSUpdate, since a type's options come from its plugin.
    struct UpdateHelp: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "update",
            abstract: "Change an endpoint's options, checked like tls add: og-host tls update <endpoint> [options] "
                + "(also re-pins a changed SSH host key: --host_key_fingerprint SHA256:...)")
        func run() throws { throw ExitCode(TLSUpdate.run(["--help"])) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List endpoints.")
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let service = EndpointService(gateway: try openGateway())
                if output == .json {
                    printOut(try service.listJSON())
                    return
                }
                let summaries = try service.summaries()
                if summaries.isEmpty {
                    printOut("No endpoints. Add one with `og-host tls add <type> ...`.\n")
                } else {
                    printOut(Table.render(header: ["ID", "NAME", "TYPE", "CONNECTION", "HOST"], rows: summaries.map { summary in
                        [summary.id, summary.name, summary.type, summary.connectionType,
                         summary.port.map { "\(summary.host):\($0)" } ?? summary.host]
                    }))
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one endpoint by instance ID or name.")
        @Argument(help: "Instance ID or name.") var endpoint: String
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let listing = try EndpointService(gateway: openGateway()).show(endpoint)
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
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove an endpoint (and the secrets given inline when it was added).")
        @Argument(help: "Instance ID or name.") var endpoint: String

        func run() throws {
            try runReportingErrors {
                let removed = try EndpointService(gateway: openGateway()).remove(endpoint)
                printOut("Endpoint '\(removed.name)' removed (instance ID \(removed.id)).\n")
            }
        }
    }
}

/// `og-host tls add <type> [options]`: a type's options come from its plugin,
/// not from this command tree, so the words are read by `EndpointWords` and
/// the library validates the fields against the type's schema.
enum TLSAdd {
    static func run(_ words: [String]) -> Int32 {
        do {
            let service = EndpointService(gateway: try openGateway())
            guard let type = words.first, !type.hasPrefix("-") else {
                let types = service.types()
                let text = "Usage: og-host tls add <type> --name <name> --connection_type <type> [options]\n" +
                    "Types: \(types.isEmpty ? "(no plugins installed; see og-host plugins list)" : types.joined(separator: ", "))\n" +
                    "Options of a type: og-host tls add <type> --help\n"
                if words.contains("--help") || words.contains("-h") {
                    printOut(text)
                    return 0
                }
                throw GatewayError.badInput("tls add needs an endpoint type\n\(text)")
            }
            // Words that cannot be read are a refused add, which the service audits like any other.
            let given = Result { try EndpointWords(Array(words.dropFirst())) }
            if (try? given.get())?.wantsHelp == true {
                printOut(EndpointHelp.text(try service.form(type: type)))
                return 0
            }
            let record = try service.add(type: type, reading: { try given.get().fields })
            printOut("Endpoint '\(record.name)' added (type \(record.type)).\nInstance ID: \(record.id)\n")
            return 0
        } catch {
            return reportError(error)
        }
    }
}

/// `og-host tls update <endpoint> [options]`, read like `tls add`: the options
/// are the endpoint type's, which its plugin defines.
enum TLSUpdate {
    static let usage = "Usage: og-host tls update <endpoint> [options]\n"
        + "Options are those of `og-host tls add <type> --help`; the ones given replace the stored ones, "
        + "options they contradict are dropped, the rest is kept. To accept a changed SSH host key after "
        + "checking it on the server: og-host tls update <endpoint> --host_key_fingerprint SHA256:...\n"

    static func run(_ words: [String]) -> Int32 {
        do {
            guard let reference = words.first, !reference.hasPrefix("-") else {
                if words.contains("--help") || words.contains("-h") {
                    printOut(usage)
                    return 0
                }
                throw GatewayError.badInput("tls update needs an endpoint (instance ID or name)\n\(usage)")
            }
            let given = Result { try EndpointWords(Array(words.dropFirst())) }
            if let read = try? given.get() {
                if read.wantsHelp {
                    printOut(usage)
                    return 0
                }
                if read.pairs.isEmpty {
                    throw GatewayError.badInput("nothing to change: give the options to replace\n\(usage)")
                }
            }
            let result = try EndpointService(gateway: openGateway()).update(reference, reading: { try given.get().fields })
            var text = "Endpoint '\(result.record.name)' updated (instance ID \(result.record.id)): "
                + result.changed.map(optionSpelling).joined(separator: ", ") + "\n"
            if let key = result.hostKey {
                text += "SSH host key of \(result.record.host):\(result.record.port ?? 22) pinned: \(key)"
                    + (result.previousHostKey.map { $0 == key ? " (unchanged)" : " (was \($0))" } ?? "") + "\n"
            }
            printOut(text)
            return 0
        } catch {
            return reportError(error)
        }
    }
}
