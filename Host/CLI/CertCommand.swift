import ArgumentParser
import Foundation

import OGHost

struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert", abstract: "Manage the gateway's certificates: keys, CSRs, issued certificates.",
        discussion: "Private keys stay on the gateway, encrypted; no command prints one.",
        subcommands: [Request.self, Import.self, List.self, Show.self, Remove.self, Bind.self, Unbind.self, Watch.self,
                      Issue.self, Orders.self, Order.self, Revoke.self, RenewalInfo.self, Policy.self, Deploy.self])

    struct Request: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "request", 
            abstract: "Generate a key and a CSR on the gateway; prints the CSR and the certificate ID.",
            discussion: """
            The CN is also put among the subjectAltNames when it is a DNS name or an IP address, since browsers \
            read only those. Send the CSR to your CA, then attach what it issues with \
            `og-host cert import <id> --cert FILE`.

            For a name that exists, the request is a new version of that certificate: a new key (or the current \
            version's with --reuse-key), the subject and subjectAltNames of the current version unless given. The \
            name moves to the new version when its certificate is imported.
            """)
        @Option(name: .long, help: "A name to refer to the certificate by (1 to 32 characters); an existing name gets a new version.") var name: String?
        @Flag(name: .customLong("reuse-key"), help: "For a new version of --name: keep the current version's key instead of generating one.") var reuseKey = false
        @Option(name: .customLong("key"), help: "Key type: rsa2048, rsa3072, rsa4096, ec-p256 or ec-p384.") var keyType: String?
        @Option(name: .customLong("cn"), help: "Subject common name.") var commonName: String?
        @Option(name: .customLong("o"), help: "Subject organization.") var organization: String?
        @Option(name: .customLong("ou"), help: "Subject organizational unit.") var organizationalUnit: String?
        @Option(name: .customLong("l"), help: "Subject locality (city).") var locality: String?
        @Option(name: .customLong("st"), help: "Subject state or province.") var stateOrProvince: String?
        @Option(name: .customLong("c"), help: "Subject country: two-letter code such as US.") var country: String?
        @Option(name: .customLong("email"), help: "Subject e-mail address.") var email: String?
        @Option(name: .customLong("san-dns"), help: "A DNS subjectAltName; repeat for more.") var dnsNames: [String] = []
        @Option(name: .customLong("san-ip"), help: "An IP address subjectAltName; repeat for more.") var ipAddresses: [String] = []
        @Option(name: .long, help: "Write the CSR to this file (- for standard output). An existing file is replaced only with --force; links, devices and FIFOs never.") var out: String?
        @Flag(name: .long, help: "Replace the regular file --out names if it exists.") var force = false

        func run() throws {
            try runReportingErrors {
                if let out { try OutputFile.requireWritable(out, field: "out", replacing: force) }
                var options = CertificateRequestOptions(
                    name: name, keyType: keyType, commonName: commonName, organization: organization,
                    organizationalUnit: organizationalUnit, locality: locality, stateOrProvince: stateOrProvince,
                    country: country, email: email, dnsNames: dnsNames, ipAddresses: ipAddresses)
                options.reuseKey = reuseKey
                let record = try CertificateVault(gateway: openGateway()).request(options)
                let csr = record.csrPEM ?? ""
                var summary = "\(reuseKey ? "Key (\(record.keySpec)) kept" : "Key (\(record.keySpec))") and CSR generated"
                    + (record.name.map { " for '\($0)'" } ?? "")
                if record.name == nil, let lineage = record.lineage, let version = record.version {
                    summary += " for version \(version) of '\(lineage)'; '\(lineage)' moves to it when its certificate is imported"
                }
                summary += ".\nCertificate ID: \(record.id)\n"
                guard let out, out != OutputFile.standardOutput else {
                    // The CSR alone on standard output, so `> request.csr` captures a clean file.
                    printOut(csr)
                    StandardStreams.error(summary)
                    return
                }
                do {
                    try OutputFile.write(csr, to: out, field: "out", replacing: force)
                } catch var error as GatewayError {
                    error.problem += "; the certificate was created, get its CSR with og-host cert show \(record.id) --pem"
                    throw error
                }
                printOut(summary + "CSR written to \(out)\n")
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "import", 
            abstract: "Attach an issued certificate to a request, or bring a certificate and its key from elsewhere.",
            discussion: """
            og-host cert import <id|name> --cert FILE [--chain FILE]
              The certificate the CA issued for a `cert request`; it must be for that request's key.

            og-host cert import --cert FILE --key FILE [--key-password -|env:NAME] [--chain FILE] [--name N]
              A certificate whose key was made elsewhere; the key is stored encrypted.

            With a name that exists, the certificate is the newest version of it and takes the name in the \
            same step (the previous version stays, by its ID).

            The chain (any order; --cert may also hold it after the leaf) must reach a trust anchor \
            (og-host ca add) or a root supplied with it, and every certificate must be within its dates.
            """)
        @Argument(help: "ID or name of the pending certificate (from cert request).") var certificate: String?
        @Option(name: .long, help: "The issued certificate, PEM or DER.") var cert: String?
        @Option(name: .long, help: "The issuing chain, PEM (any order).") var chain: String?
        @Option(name: .long, help: "The certificate's private key, for a certificate whose key was made elsewhere.") var key: String?
        @Option(name: .customLong("key-password"), help: "The key's passphrase: - reads a line from standard input, env:NAME reads a variable.")
        var keyPassword: String?
        @Option(name: .long, help: "A name for a certificate brought with --key.") var name: String?

        func run() throws {
            try runReportingErrors {
                guard let cert else { throw GatewayError.option("cert", "is required; give the issued certificate's file") }
                let vault = try CertificateVault(gateway: openGateway())
                let result: CertificateImportResult
                if let key {
                    if let certificate {
                        throw GatewayError("cert import: give either a pending certificate's ID or name, or --key for "
                                           + "a certificate made elsewhere, not both", category: .badInput)
                    }
                    result = try vault.importExternal(name: name, certificateFile: cert, keyFile: key,
                                                      keyPassword: keyPassword, chainFile: chain)
                } else {
                    guard let certificate else {
                        throw GatewayError("cert import: give the ID or name of the certificate requested with "
                                           + "og-host cert request, or --key FILE for a certificate made elsewhere",
                                           category: .badInput)
                    }
                    if name != nil { throw GatewayError.option("name", "is only used with --key; the request already has its name") }
                    if keyPassword != nil { throw GatewayError.option("key-password", "is only used with --key") }
                    result = try vault.importIssued(certificate, certificateFile: cert, chainFile: chain)
                }
                let record = result.record
                let version = record.version.map { "version \($0), " } ?? ""
                var text = "Certificate \(record.lineage.map { "'\($0)' " } ?? "")imported (\(version)serial \(record.serial ?? "-")).\n"
                if let previous = result.previousID {
                    text += "It is now the current version; the previous one stays as \(previous).\n"
                } else if record.lineage != nil, record.name == nil {
                    text += "A newer version is current; this one is kept by its ID.\n"
                }
                text += "Certificate ID: \(record.id)\nChain ends at: \(result.anchorSubject)\n"
                for unused in result.unusedSubjects { text += "Not on the path, not stored: \(unused)\n" }
                printOut(text)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list",
            abstract: "List managed certificates: the current version of each name, days left, where it is deployed.",
            discussion: """
            DEPLOYED shows, for a named certificate, how many of its bindings have the current version installed \
            and each binding (with the version it has when that is an older one); for an unnamed certificate, \
            where it was installed. Older versions: og-host cert show NAME.
            """)
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text
        @Option(name: .long, help: "Only certificates that expire within this many days (expired ones included).") var expiring: Int?
        @Option(name: .long, help: "name or expiry (soonest first).") var sort: CertificateVault.ListingOrder = .name

        func run() throws {
            try runReportingErrors {
                let listings = try CertificateVault(gateway: openGateway()).listings(expiringWithinDays: expiring, order: sort)
                if output == .json {
                    printOut(try JSONOutput.render(listings))
                } else if listings.isEmpty, let expiring {
                    printOut("No certificate expires within \(expiring) days.\n")
                } else if listings.isEmpty {
                    printOut("No certificates. Make a key and CSR with `og-host cert request ...`.\n")
                } else {
                    printOut(CertificateListing.table(listings))
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one certificate by ID or name (never its key).")
        @Argument(help: "Certificate ID or name.") var certificate: String
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text
        @Flag(name: .long, help: "Print only PEM: the certificate and chain once issued, the CSR before.") var pem = false

        func run() throws {
            try runReportingErrors {
                let details = try CertificateVault(gateway: openGateway()).details(certificate)
                if pem {
                    printOut(details.pem)
                } else if output == .json {
                    printOut(try JSONOutput.render(details))
                } else {
                    printOut(details.text)
                }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", 
            abstract: "Remove a certificate and destroy its keys; refused while it is bound to an endpoint.",
            discussion: """
            By name: every version of the certificate. By ID: that version only (the current version of a name \
            with older versions goes only with its name). Nothing is uninstalled from endpoints.
            """)
        @Argument(help: "Certificate ID or name.") var certificate: String

        func run() throws {
            try runReportingErrors {
                let isName = UUID(uuidString: certificate) == nil
                let removal = try CertificateVault(gateway: openGateway()).remove(certificate)
                let removed = removal.record
                let what = isName ? "'\(certificate)' and every version of it" : removed.name.map { "'\($0)'" } ?? removed.id
                printOut("Certificate \(what) removed (ID \(removed.id)); \(isName ? "their keys were" : "its key was") destroyed"
                         + removal.notes.map { "; " + GatewayError.rendering($0, fieldName: optionSpelling) }.joined() + ".\n")
            }
        }
    }

    struct Bind: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "bind",
            abstract: "Say that a named certificate belongs on an endpoint (and node); cert deploy and renewal install it there.",
            discussion: """
            Installing a named certificate with tls install binds it already. Binding installs nothing. Only \
            named certificates bind: the binding follows the name to each new version.
            """)
        @Argument(help: "Certificate name (or the ID of one of its versions).") var certificate: String
        @Option(name: .long, help: "Endpoint name or instance ID.") var endpoint: String
        @Option(name: .long, help: "The node (og-host tls nodes ENDPOINT); without it the plugin chooses, as tls install does.") var node: String?
        @Option(name: .long, help: "Keystore alias to install under.") var alias: String?

        func run() throws {
            try runReportingErrors {
                let binding = try CertificateVault(gateway: openGateway()).bind(certificate, endpoint: endpoint, node: node, alias: alias)
                printOut("Certificate '\(binding.certificate)' is bound to endpoint '\(binding.endpointName)'"
                         + (binding.node.isEmpty ? " (node: the plugin's choice)" : ", node '\(binding.node)'")
                         + (binding.alias.map { ", alias '\($0)'" } ?? "") + ".\n")
            }
        }
    }

    struct Unbind: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "unbind",
            abstract: "Remove a certificate's binding to an endpoint (every node of it without --node); nothing is uninstalled.")
        @Argument(help: "Certificate name (or the ID of one of its versions).") var certificate: String
        @Option(name: .long, help: "Endpoint name or instance ID.") var endpoint: String
        @Option(name: .long, help: "Only the binding to this node.") var node: String?

        func run() throws {
            try runReportingErrors {
                let removed = try CertificateVault(gateway: openGateway()).unbind(certificate, endpoint: endpoint, node: node)
                printOut("Removed \(removed) binding(s) of '\(certificate)' to endpoint '\(endpoint)'.\n")
            }
        }
    }
}

extension CertCommand {
    struct Watch: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "watch",
            abstract: "Probe what every bound node really serves: expiring, different from what was installed, or unreachable.",
            discussion: """
            One pass over the bindings (or those of NAME): a TLS handshake at the address each install verified, \
            with its SNI name. Changes nothing. A served certificate is expiring once it is inside its renewal \
            policy's window (og-host cert policy; the window og-host serve watches with), or within --within DAYS \
            of its notAfter. Exit status 0 when every binding is ok, 10 when one is expiring, serves another \
            certificate, is unreachable or was never deployed (see og-host --help).
            """)
        @Argument(help: "Only this certificate's bindings.") var certificate: String?
        @Option(name: .long, help: "A served certificate is expiring this many days before its notAfter (1 to 120), instead of by its renewal policy.")
        var within: Int?
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                if let within, !(1...120).contains(within) {
                    throw GatewayError.option("within", "'\(within)' is not a number of days from 1 to 120")
                }
                let gateway = try openGateway()
                var lineage: String?
                if let certificate {
                    let record = try CertificateVault(gateway: gateway).find(certificate)
                    guard let name = record.lineage else {
                        throw GatewayError.badInput("certificate \(record.id): has no name, so it has no bindings to watch")
                    }
                    lineage = name
                }
                let window = try within.map(ServedCertificateWatch.daysBeforeExpiry)
                    ?? ServedCertificateWatch.policyWindow(gateway: gateway)
                let findings = try ServedCertificateWatch(gateway: gateway, window: window).run(lineage: lineage)
                if output == .json {
                    printOut(try JSONOutput.render(findings))
                } else if findings.isEmpty {
                    printOut("No bindings\(certificate.map { " of '\($0)'" } ?? ""); nothing to watch.\n")
                } else {
                    printOut(findings.map { "\($0.kind.rawValue): \($0.message)\n" }.joined())
                }
                if let category = ServedCertificateWatch.category(of: findings) { throw ExitCode(category.exitCode) }
            }
        }
    }
}

extension CertificateVault.ListingOrder: ExpressibleByArgument {}
