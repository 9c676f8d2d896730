import ArgumentParser
import Foundation
import OGHost

extension TLSCommand {
    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "install", 
            abstract: "Install a certificate on one or more endpoints: back up, write, test, activate, verify; roll back on any failure.")
        @Argument(help: "Instance IDs or names of the endpoints (one or more; each is its own transaction).") var endpoints: [String]
        @Option(name: .customLong("cert-id"), help: "A certificate held by the gateway (see og-host cert list).") var certificateID: String?
        @Option(name: .customLong("cert"), help: "Certificate file (PEM or DER; may hold the chain after the leaf).") var certificate: String?
        @Option(name: .customLong("key"), help: "Private key file (PEM; encrypted or not).") var key: String?
        @Option(name: .customLong("key-password"), help: "Passphrase of --key: '-' reads standard input, env:NAME a variable.") var keyPassword: String?
        @Option(name: .customLong("chain"), help: "Intermediate (and optionally root) certificates, PEM.") var chain: String?
        @Option(name: .long, help: "Keystore alias or object name (default: the endpoint's).") var alias: String?
        @Option(name: .long, help: ArgumentHelp("Node ID from `og-host tls nodes` (default: chosen by the certificate's names); repeat for several nodes, each installed on every endpoint given.", valueName: "node")) var node: [String] = []
        @Flag(name: .customLong("dry-run"), help: "Show the plan and the diff of every file; change nothing.") var dryRun = false
        @Option(name: .long, help: "Seconds to wait while another job holds the endpoint (default 5).") var wait: Double = 5

        func run() throws {
            try runReportingErrors {
                let material = try InstallRequest.material(certificateID: certificateID, certificate: certificate, key: key,
                                                           keyPassword: keyPassword, chain: chain)
                let request = InstallRequest(endpoint: endpoints.first ?? "", material: material, node: node.first, alias: alias,
                                             dryRun: dryRun, wait: try waitDuration(wait))
                let gateway = try openGateway()
                let service = EndpointJobService(gateway: gateway)
                let launcher = try EndpointJobLauncher(gateway: gateway, foreground: true)
                if endpoints.count == 1 && node.count <= 1 {
                    try service.install(request, launcher: launcher, report: printReport)
                    return
                }
                let results = try service.install(request, endpoints: endpoints, nodes: node.isEmpty ? [nil] : node.map { $0 },
                                                   launcher: launcher, report: printReport)
                var failures: [GatewayError.Category] = []
                var said: Set<String> = []
                for result in results {
                    if case .failure(let error) = result.result {
                        failures.append(error.category)
                        // An endpoint's job fails as a whole: its error once, not once per node.
                        guard said.insert(result.endpoint).inserted else { continue }
                        let failedNodes = results.filter { $0.endpoint == result.endpoint && (try? $0.result.get()) == nil }
                        let place = failedNodes.count == 1 ? result.node.map { "endpoint '\(result.endpoint)' node '\($0)'" } : nil
                        StandardStreams.error("error: \(place ?? "endpoint '\(result.endpoint)'"): \(error.message(fieldName: optionSpelling))\n")
                    }
                }
                printOut(Table.render(header: ["ENDPOINT", "NODE", "OUTCOME", "SHA-256"], rows: results.map { result in
                    switch result.result {
                    case .success(let outcome):
                        return [result.endpoint, outcome.node ?? result.node ?? "-",
                                dryRun ? "dry run" : (outcome.unchanged ? "unchanged" : "installed"),
                                String(outcome.leafFingerprint.prefix(16))]
                    case .failure(let error):
                        return [result.endpoint, result.node ?? "-", JobOutcome.status(for: error.category).rawValue, "-"]
                    }
                }))
                if let category = GatewayError.Category.combined(succeeded: results.count - failures.count, failures: failures) {
                    printOut("\(results.count - failures.count) of \(results.count) installs succeeded.\n")
                    throw ExitCode(category.exitCode)
                }
            }
        }
    }

    struct Restart: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart or reload an endpoint (Apache and Tomcat need it after installs).")
        @Argument(help: "Instance ID or name of the endpoint.") var endpoint: String
        @Option(name: .long, help: "Seconds to wait while another job holds the endpoint (default 5).") var wait: Double = 5

        func run() throws {
            try runReportingErrors {
                let gateway = try openGateway()
                let record = try EndpointJobService(gateway: gateway).restart(
                    endpoint, wait: try waitDuration(wait), launcher: try EndpointJobLauncher(gateway: gateway, foreground: true),
                    report: printReport)
                printOut("Endpoint '\(record.name)' restarted.\n")
            }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "test", abstract: "Check that an endpoint is reachable and its software is there (the plugin's connection test); changes nothing.")
        @Argument(help: "Instance ID or name of the endpoint.") var endpoint: String

        func run() throws {
            try runReportingErrors {
                printOut(try ConnectionCheck.run(endpoint, gateway: try openGateway()) + "\n")
            }
        }
    }

    struct Nodes: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "nodes", abstract: "Discover an endpoint's TLS nodes with the configured and the served certificate.")
        @Argument(help: "Instance ID or name of the endpoint.") var endpoint: String
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let report = try EndpointJobService(gateway: openGateway()).nodesReport(endpoint)
                let nodes = report.nodes
                if output == .json {
                    // The plugin's warnings went to standard error with the log; the JSON stays a list of nodes.
                    printOut(try JSONOutput.render(nodes))
                    return
                }
                defer {
                    // After the table, so an incomplete discovery reads as one.
                    if !report.warnings.isEmpty { printOut(report.warnings.map { "WARNING: " + $0 }.joined(separator: "\n") + "\n") }
                }
                let formatter = ISO8601DateFormatter()
                printOut(Table.render(header: ["ID", "NAME", "PROTOCOL", "ADDRESS", "SUBJECT", "NOT AFTER", "SHA-256", "SERVED"], rows: nodes.map { node in
                    let served: String
                    if let certificate = node.served {
                        switch node.mismatch {
                        case true?: served = "MISMATCH: \(certificate.sha256Fingerprint.prefix(16))"
                        case false?: served = "same"
                        case nil: served = "unknown (configured certificate not read): \(certificate.sha256Fingerprint.prefix(16))"
                        }
                    } else {
                        served = node.servedProblem == nil ? "-" : "unreachable"
                    }
                    return [node.id, node.name + (node.aliases.isEmpty ? "" : " (" + node.aliases.joined(separator: ",") + ")"),
                            node.protocol, node.port > 0 ? "\(node.address):\(node.port)" : "-",
                            (node.configured?.subject).flatMap { $0.isEmpty ? nil : $0 } ?? "-",
                            // A certificate known only by fingerprint (an appliance's) has no date to show.
                            node.configured.flatMap { $0.notAfter.timeIntervalSince1970 == 0 ? nil : formatter.string(from: $0.notAfter) } ?? "-",
                            node.configured.map { String($0.sha256Fingerprint.prefix(16)) } ?? "-", served]
                }))
            }
        }
    }

    struct Recover: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "recover", 
            abstract: "Finish an install that a crash interrupted: restore the files from the journal and re-activate.",
            discussion: "tls install and tls restart do this by themselves before they start.")
        @Argument(help: "Instance ID or name of the endpoint.") var endpoint: String
        @Option(name: .long, help: "Seconds to wait while another job holds the endpoint (default 5).") var wait: Double = 5

        func run() throws {
            try runReportingErrors {
                let gateway = try openGateway()
                let outcome = try EndpointJobService(gateway: gateway).recover(
                    endpoint, wait: try waitDuration(wait), launcher: try EndpointJobLauncher(gateway: gateway, foreground: true),
                    report: printReport)
                if !outcome.recovered { printOut("Endpoint '\(outcome.endpoint.name)' has no interrupted install.\n") }
            }
        }
    }
}

/// `--wait SECONDS` as a duration: 0 to 3600 seconds.
func waitDuration(_ seconds: Double) throws -> Duration {
    guard seconds.isFinite, seconds >= 0, seconds <= 3600 else {
        throw GatewayError.option("wait", "\(seconds) is not a number of seconds between 0 and 3600")
    }
    return .milliseconds(Int64(seconds * 1000))
}
