import ArgumentParser
import Foundation

import OGHost

struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert", abstract: "Manage the gateway's certificates: keys, CSRs, issued certificates.",
        discussion: "Private keys stay on the gateway, encrypted; no command prints one.",
        subcommands: [Request.self, Import.self, List.self, Show.self, Remove.self,
                      Issue.self, Orders.self, Order.self, Revoke.self, RenewalInfo.self, Policy.self])

    struct Request: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "request", 
            abstract: "Generate a key and a CSR on the gateway; prints the CSR and the certificate ID.",
            discussion: """
            The CN is also put among the subjectAltNames when it is a DNS name or an IP address, since browsers \
            read only those. Send the CSR to your CA, then attach what it issues with \
            `og-host cert import <id> --cert FILE`.
            """)
        @Option(name: .long, help: "A name to refer to the certificate by (1 to 32 characters).") var name: String?
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
                let options = CertificateRequestOptions(
                    name: name, keyType: keyType, commonName: commonName, organization: organization,
                    organizationalUnit: organizationalUnit, locality: locality, stateOrProvince: stateOrProvince,
                    country: country, email: email, dnsNames: dnsNames, ipAddresses: ipAddresses)
                let record = try CertificateVault(gateway: openGateway()).request(options)
                let csr = record.csrPEM ?? ""
                let summary = "Key (\(record.keySpec)) and CSR generated"
                    + (record.name.map { " for '\($0)'" } ?? "") + ".\nCertificate ID: \(record.id)\n"
                guard let out, out != OutputFile.standardOutput else {
                    // The CSR alone on standard output, so `> request.csr` captures a clean file.
                    printOut(csr)
                    FileHandle.standardError.write(Data(summary.utf8))
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
                var text = "Certificate \(record.name.map { "'\($0)' " } ?? "")imported (serial \(record.serial ?? "-")).\n"
                text += "Certificate ID: \(record.id)\nChain ends at: \(result.anchorSubject)\n"
                for unused in result.unusedSubjects { text += "Not on the path, not stored: \(unused)\n" }
                printOut(text)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List managed certificates.")
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let listings = try CertificateVault(gateway: openGateway()).listings()
                if output == .json {
                    printOut(try JSONOutput.render(listings))
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
            abstract: "Remove a certificate and destroy its key; refused while it is installed on an endpoint.")
        @Argument(help: "Certificate ID or name.") var certificate: String

        func run() throws {
            try runReportingErrors {
                let removed = try CertificateVault(gateway: openGateway()).remove(certificate)
                printOut("Certificate \(removed.name.map { "'\($0)' " } ?? "")removed (ID \(removed.id)); its key was destroyed.\n")
            }
        }
    }
}
