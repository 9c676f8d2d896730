import ArgumentParser
import Foundation
import OGHost

/// `cert issue`, `cert orders`, `cert order show|abandon`, `cert revoke`: certificates from ACME issuers.
extension CertCommand {
    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "issue", 
            abstract: "Order a certificate from an issuer (ACME, or a command issuer); the key and CSR are made on the gateway.",
            discussion: """
            og-host cert issue NAME --issuer N --cn NAME [--san-dns NAME…] [--key ec-p256] \
            (--challenge http-01 --challenge-endpoint EP --webroot PATH | \
            --challenge dns-01 --dns-server HOST:PORT --tsig-key NAME --tsig-secret -|env:VAR)

            An open order for NAME at the issuer is resumed instead of placing a second one (rerun the same command). \
            When NAME already exists, the new certificate takes the name and the previous one stays in the vault \
            unnamed, reachable by its ID (see og-host cert list).
            """)
        @Argument(help: "The certificate's name in the vault.") var name: String
        @Option(name: .long, help: "The issuer (og-host issuer list).") var issuer: String
        @Option(name: .customLong("cn"), help: "The main DNS name.") var commonName: String?
        @Option(name: .customLong("san-dns"), help: "Another DNS name; repeat for more.") var dnsNames: [String] = []
        @Option(name: .customLong("key"), help: "Key type: ec-p256 (default), ec-p384, rsa2048, rsa3072, rsa4096.") var keyType: String?
        @Option(name: .long, help: "http-01 or dns-01.") var challenge: String?
        @Option(name: .customLong("challenge-endpoint"), help: "http-01: the endpoint whose web server answers for the names.")
        var challengeEndpoint: String?
        @Option(name: .long, help: "http-01: the document root on that endpoint.") var webroot: String?
        @Option(name: .customLong("dns-server"), help: "dns-01: primary server accepting RFC 2136 updates, HOST:PORT.")
        var dnsServer: String?
        @Option(name: .customLong("tsig-key"), help: "dns-01: TSIG key name.") var tsigKey: String?
        @Option(name: .customLong("tsig-secret"), help: "dns-01: TSIG secret (base64): - reads standard input, env:NAME a variable.")
        var tsigSecret: String?
        @Option(name: .customLong("tsig-algorithm"), help: "dns-01: hmac-sha256 (default), hmac-sha384, hmac-sha512.")
        var tsigAlgorithm: String?
        @Option(name: .long, help: "Longest wait for each CA step, in seconds (default 180).") var wait: Int = 180

        func run() throws {
            try runReportingErrors {
                guard (1...86_400).contains(wait) else { throw GatewayError.option("wait", "\(wait) is not between 1 and 86400") }
                if let challenge, !["http-01", "dns-01"].contains(challenge) {
                    throw GatewayError.option("challenge", "'\(challenge)' is not http-01 or dns-01")
                }
                let gateway = try openGateway()
                let result = try Issuers.named(issuer, gateway: gateway).issue(IssuanceRequest(
                    certificateName: name, issuerName: issuer, commonName: commonName, dnsNames: dnsNames, keyType: keyType,
                    challenge: ChallengeOptions(type: challenge, endpoint: challengeEndpoint, webroot: webroot,
                                                dnsServer: dnsServer, tsigKeyName: tsigKey, tsigSecret: tsigSecret,
                                                tsigAlgorithm: tsigAlgorithm),
                    waitLimit: TimeInterval(wait)))
                for warning in result.warnings { StandardStreams.error("warning: \(warning)\n") }
                let certificate = result.certificate
                printOut("""
                Certificate '\(name)' issued\(result.resumed ? " (resumed order)" : "").
                Certificate ID: \(certificate.id)
                \(result.order.map { "Order: \($0.id)" } ?? "Issuer: \(issuer) (command)")
                Serial: \(certificate.serial ?? "-")
                Names: \(certificate.subjectAlternativeNames.joined(separator: ", "))
                Expires: \(certificate.notAfter.map { ISO8601DateFormatter().string(from: $0) } ?? "-")

                """ + (result.previousCertificateID.map { "Previous certificate \($0) is kept, unnamed.\n" } ?? ""))
            }
        }
    }

    struct Orders: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "orders", abstract: "List ACME orders, newest first.")
        @Option(name: .long, help: "Only the orders for this certificate name.") var name: String?
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let orders = try ACMEIssuance(gateway: openGateway()).orders(certificateName: name)
                if output == .json { return printOut(try JSONOutput.render(orders.map(OrderView.init))) }
                if orders.isEmpty { return printOut("No orders.\n") }
                printOut(Table.render(header: ["ORDER", "NAME", "ISSUER", "STATE", "NAMES", "UPDATED"], rows: orders.map {
                    [String($0.id.prefix(8)), $0.certificateName, $0.issuerName, $0.state.rawValue,
                     $0.identifierList.joined(separator: ","), ISO8601DateFormatter().string(from: $0.updatedAt)]
                }))
            }
        }
    }

    struct Order: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "order", 
            abstract: "Show or abandon one ACME order.", subcommands: [Show.self, Abandon.self])

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "Show an order (ID or a unique prefix of it).")
            @Argument(help: "Order ID.") var id: String
            @Option(name: .long, help: "text or json") var output: OutputFormat = .text

            func run() throws {
                try runReportingErrors {
                    let view = OrderView(try ACMEIssuance(gateway: openGateway()).order(id))
                    if output == .json { return printOut(try JSONOutput.render(view)) }
                    let settings = view.challengeSettings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    printOut("""
                    Order:        \(view.id)
                    Certificate:  \(view.certificateName)\(view.certificateId.map { " (\($0))" } ?? "")
                    Issuer:       \(view.issuer)
                    State:        \(view.state)
                    Names:        \(view.identifiers.joined(separator: ", "))
                    Authorized:   \(view.authorized.isEmpty ? "-" : view.authorized.joined(separator: ", "))
                    Challenge:    \(view.challenge ?? "-")\(settings.isEmpty ? "" : " (" + settings.joined(separator: ", ") + ")")
                    Key:          \(view.key)
                    Order URL:    \(view.orderUrl ?? "-")
                    Certificate URL: \(view.certificateUrl ?? "-")
                    Last problem: \(view.lastProblem ?? "-")
                    Revoked:      \(view.revokedAt.map { "\(ISO8601DateFormatter().string(from: $0)) (\(view.revocationReason ?? "-"))" } ?? "-")
                    Created:      \(ISO8601DateFormatter().string(from: view.createdAt))
                    Updated:      \(ISO8601DateFormatter().string(from: view.updatedAt))

                    """)
                }
            }
        }

        struct Abandon: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "abandon", 
                abstract: "Close an open order on the gateway and destroy its key, so the next cert issue starts afresh.")
            @Argument(help: "Order ID.") var id: String

            func run() throws {
                try runReportingErrors {
                    let order = try ACMEIssuance(gateway: openGateway()).abandon(id)
                    printOut("Order \(order.id) abandoned.\n")
                }
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a certificate at the ACME issuer that issued it.")
        @Argument(help: "Certificate name or ID.") var certificate: String
        @Option(name: .long, help: "A version (certificate ID) other than the one holding the name.") var version: String?
        @Option(name: .long, help: "unspecified, keyCompromise, affiliationChanged, superseded or cessationOfOperation.")
        var reason: String = "unspecified"

        func run() throws {
            try runReportingErrors {
                let revoked = try ACMEIssuance(gateway: openGateway()).revoke(version ?? certificate, reason: reason)
                printOut("Certificate \(revoked.record.name.map { "'\($0)' " } ?? "")(\(revoked.record.id), serial "
                         + "\(revoked.record.serial ?? "-")) revoked at issuer '\(revoked.issuer)' (\(reason)).\n")
            }
        }
    }
}

extension CertCommand {
    struct RenewalInfo: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "renewal-info",
            abstract: "Ask the issuing CA when to renew a certificate (ACME Renewal Information, RFC 9773).")
        @Argument(help: "Certificate name or ID.") var certificate: String
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                guard let window = try ACMEIssuance(gateway: openGateway()).renewalWindow(certificate) else {
                    return printOut("The issuer offers no renewal information (its directory has no renewalInfo).\n")
                }
                if output == .json { return printOut(try JSONOutput.render(window)) }
                let format = ISO8601DateFormatter()
                printOut("""
                Certificate:  \(window.certificateID)
                Issuer:       \(window.issuer)
                ARI ID:       \(window.ariIdentifier)
                Renew from:   \(format.string(from: window.start))
                Renew by:     \(format.string(from: window.end))
                Explanation:  \(window.explanationURL ?? "-")
                Ask again in: \(window.retryAfter.map { "\(Int($0)) s" } ?? "-")

                """)
            }
        }
    }
}

/// An order as `cert orders` and `cert order show` print it.
struct OrderView: Encodable {
    var id: String
    var certificateName: String
    var certificateId: String?
    var issuer: String
    var state: String
    var identifiers: [String]
    var authorized: [String]
    var challenge: String?
    var challengeSettings: [String: String]
    var key: String
    var orderUrl: String?
    var certificateUrl: String?
    var lastProblem: String?
    var revokedAt: Date?
    var revocationReason: String?
    var createdAt: Date
    var updatedAt: Date

    init(_ record: ACMEOrderRecord) {
        id = record.id
        certificateName = record.certificateName
        certificateId = record.certificateID
        issuer = record.issuerName
        state = record.state.rawValue
        identifiers = record.identifierList
        authorized = record.authorizedList
        challenge = record.challengeType
        challengeSettings = record.settings
        key = record.keySpec
        orderUrl = record.orderURL
        certificateUrl = record.certificateURL
        lastProblem = record.lastProblem
        revokedAt = record.revokedAt
        revocationReason = record.revocationReason
        createdAt = record.createdAt
        updatedAt = record.updatedAt
    }
}
