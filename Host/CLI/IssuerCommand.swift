import ArgumentParser
import Foundation
import OGHost

struct IssuerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issuer", abstract: "Manage the CAs og-host orders certificates from (ACME, or a command issuer).",
        discussion: "The account key is generated on the gateway and kept encrypted; the EAB HMAC key goes to the default "
            + "credential store.",
        subcommands: [Add.self, List.self, Show.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", 
            abstract: "Register an account with an ACME CA, or a program that signs CSRs (an internal CA).",
            discussion: "og-host issuer add acme --name N --directory URL [--eab-kid KID --eab-hmac-key -|env:NAME] "
                + "[--contact mailto:…] [--ca-bundle FILE] [--preferred-chain ISSUER_CN] [--agree-tos]\n"
                + "og-host issuer add command --name N --argv /path/to/program [--argv ARG …] [--timeout SECONDS]: the "
                + "program gets the CSR (PEM) on standard input and prints the chain (PEM, leaf first); it runs without a shell "
                + "and is given no secret.")
        @Argument(help: "Issuer kind: acme or command.") var kind: String
        @Option(name: .long, help: "command: the program (absolute path), then each argument; one --argv per word (--argv=-x for a word starting with -).")
        var argv: [String] = []
        @Option(name: .long, help: "command: seconds the program may take (default 120).") var timeout: Int = 120
        @Option(name: .long, help: "A name for the issuer (1 to 32 characters).") var name: String?
        @Option(name: .long, help: "The CA's ACME directory URL.") var directory: String?
        @Option(name: .customLong("eab-kid"), help: "External Account Binding key identifier from the CA.") var eabKeyID: String?
        @Option(name: .customLong("eab-hmac-key"), help: "EAB HMAC key: - reads standard input, env:NAME a variable.")
        var eabHMACKey: String?
        @Option(name: .long, help: "A contact URL (mailto:…); repeat for more.") var contact: [String] = []
        @Option(name: .customLong("ca-bundle"), help: "PEM file with extra trust anchors for the CA's HTTPS server.") var caBundle: String?
        @Option(name: .customLong("preferred-chain"), help: "Common name of the issuer whose chain to prefer among alternates.")
        var preferredChain: String?
        @Option(name: .customLong("account-key"), help: "Account key type: ec-p256 (default), ec-p384, rsa2048…") var accountKey: String?
        @Flag(name: .customLong("agree-tos"), help: "Agree to the CA's terms of service.") var agreeToTerms = false

        func run() throws {
            try runReportingErrors {
                if kind == "command" {
                    let issuer = try CommandIssuers(gateway: openGateway()).add(name: name, arguments: argv, timeoutSeconds: timeout)
                    return printOut("Issuer '\(issuer.name)' added: runs \(issuer.arguments.joined(separator: " ")).\n")
                }
                guard kind == "acme" else {
                    throw GatewayError("issuer kind '\(kind)': give acme or command", category: .badInput)
                }
                guard argv.isEmpty else { throw GatewayError.option("argv", "is for command issuers") }
                let issuer = try ACMEIssuers(gateway: openGateway()).add(ACMEIssuerOptions(
                    name: name, directoryURL: directory, eabKeyID: eabKeyID, eabHMACKey: eabHMACKey, contact: contact,
                    caBundle: caBundle, preferredChain: preferredChain, agreeToTerms: agreeToTerms, accountKeyType: accountKey))
                printOut("Issuer '\(issuer.name)' added.\nAccount: \(issuer.accountURL ?? "-")\n")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List issuers.")
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let gateway = try openGateway()
                let issuers = try ACMEIssuers(gateway: gateway).list()
                let commands = try CommandIssuers(gateway: gateway).list()
                if output == .json {
                    return printOut(try JSONOutput.render(issuers.map(IssuerView.init) + commands.map(IssuerView.init)))
                }
                if issuers.isEmpty && commands.isEmpty { return printOut("No issuers. Add one with `og-host issuer add acme ...`.\n") }
                printOut(Table.render(header: ["NAME", "DIRECTORY", "EAB", "ACCOUNT"], rows: issuers.map {
                    [$0.name, $0.directoryURL, $0.eabKeyID ?? "-", $0.accountURL ?? "-"]
                } + commands.map { [$0.name, "command: " + $0.arguments.joined(separator: " "), "-", "-"] }))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one issuer (never its keys).")
        @Argument(help: "Issuer name.") var name: String
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let gateway = try openGateway()
                if let command = try CommandIssuers(gateway: gateway).find(name) {
                    if output == .json { return printOut(try JSONOutput.render(IssuerView(command))) }
                    return printOut("""
                    Name:            \(command.name)
                    Kind:            command (CSR on standard input, chain on standard output)
                    Runs:            \(command.arguments.joined(separator: " "))
                    Timeout:         \(command.timeoutSeconds) s

                    """)
                }
                let view = IssuerView(try ACMEIssuers(gateway: gateway).find(name))
                if output == .json { return printOut(try JSONOutput.render(view)) }
                printOut("""
                Name:            \(view.name)
                Protocol:        ACME
                Directory:       \(view.directory)
                Account:         \(view.account ?? "-")
                Account key:     \(view.accountKey) (sealed on the gateway)
                Contact:         \(view.contact.isEmpty ? "-" : view.contact.joined(separator: ", "))
                EAB key ID:      \(view.eabKeyID ?? "-")
                Extra CA anchors: \(view.extraTrustAnchors ? "yes" : "no")
                Preferred chain: \(view.preferredChain ?? "-")
                Terms of service: \(view.termsOfService ?? "-")

                """)
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", 
            abstract: "Forget an issuer and destroy its account key; refused while it has open orders.")
        @Argument(help: "Issuer name.") var name: String

        func run() throws {
            try runReportingErrors {
                let gateway = try openGateway()
                if let command = try CommandIssuers(gateway: gateway).remove(name) {
                    return printOut("Issuer '\(command.name)' removed.\n")
                }
                let removed = try ACMEIssuers(gateway: gateway).remove(name)
                printOut("Issuer '\(removed.name)' removed (the account at the CA remains).\n")
            }
        }
    }
}

/// An issuer as `issuer list/show` print it.
struct IssuerView: Encodable {
    var name: String
    var kind = "acme"
    var command: [String]?
    var directory: String
    var account: String?
    var accountKey: String
    var contact: [String]
    var eabKeyID: String?
    var extraTrustAnchors: Bool
    var preferredChain: String?
    var termsOfService: String?

    init(_ record: CommandIssuerRecord) {
        name = record.name
        kind = "command"
        command = record.arguments
        directory = ""
        accountKey = ""
        contact = []
        extraTrustAnchors = false
    }

    init(_ record: ACMEIssuerRecord) {
        name = record.name
        directory = record.directoryURL
        account = record.accountURL
        accountKey = record.accountKeySpec
        contact = record.contacts
        eabKeyID = record.eabKeyID
        extraTrustAnchors = record.caBundlePEM != nil
        preferredChain = record.preferredChain
        termsOfService = record.termsOfService
    }
}

