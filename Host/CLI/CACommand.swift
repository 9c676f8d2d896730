import ArgumentParser
import Foundation
import OGHost

struct CACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca", abstract: "Manage the trust anchors imported certificate chains must reach.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", 
            abstract: "Trust the CA certificate(s) in a file (PEM, one or more, or DER).")
        @Argument(help: "File holding the CA certificate(s).") var file: String
        @Option(name: .long, help: "Name for the anchor (default: its common name).") var name: String?

        func run() throws {
            try runReportingErrors {
                let added = try TrustAnchors(gateway: openGateway()).add(file: file, name: name)
                printOut(added.map { "Trust anchor '\($0.name)' added: \($0.subject) (SHA-256 \($0.fingerprint))\n" }.joined())
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List trust anchors.")
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let anchors = try TrustAnchors(gateway: openGateway()).list().map(TrustAnchorListing.init)
                if output == .json {
                    printOut(try JSONOutput.render(anchors))
                } else if anchors.isEmpty {
                    printOut("No trust anchors. Add a CA certificate with `og-host ca add FILE`.\n")
                } else {
                    printOut(TrustAnchorListing.table(anchors))
                }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", 
            abstract: "Stop trusting an anchor; certificates already imported keep their chains.")
        @Argument(help: "The anchor's name or SHA-256 fingerprint (colons allowed).") var anchor: String

        func run() throws {
            try runReportingErrors {
                let removed = try TrustAnchors(gateway: openGateway()).remove(anchor)
                printOut("Trust anchor '\(removed.name)' removed: \(removed.subject)\n")
            }
        }
    }
}
