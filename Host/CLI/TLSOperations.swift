import ArgumentParser
import Foundation
import OGHost
import OGInventory
import OGMaterial
import OGPlugins

/// The endpoint and its plugin, loaded for an operation.
func endpointAndPlugin(_ reference: String, gateway: Gateway) throws -> (EndpointRecord, PluginLibrary) {
    let record = try EndpointCatalog(gateway: gateway).find(reference)
    let (_, plugin) = try gateway.plugin(forType: record.type)
    return (record, plugin)
}

extension TLSCommand {
    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install a certificate on an endpoint: back up, write, test, activate, verify; roll back on any failure.")
        @Argument(help: "Instance ID or name of the endpoint.") var endpoint: String
        @Option(name: .customLong("cert-id"), help: "A certificate held by the gateway (see og-host cert list).") var certificateID: String?
        @Option(name: .customLong("cert"), help: "Certificate file (PEM or DER; may hold the chain after the leaf).") var certificate: String?
        @Option(name: .customLong("key"), help: "Private key file (PEM; encrypted or not).") var key: String?
        @Option(name: .customLong("key-password"), help: "Passphrase of --key: '-' reads standard input, env:NAME a variable.") var keyPassword: String?
        @Option(name: .customLong("chain"), help: "Intermediate (and optionally root) certificates, PEM.") var chain: String?
        @Option(name: .long, help: "Keystore alias or object name (default: the endpoint's).") var alias: String?
        @Option(name: .long, help: "Node ID from `og-host tls nodes` (default: chosen by the certificate's names).") var node: String?
        @Flag(name: .customLong("dry-run"), help: "Show the plan and the diff of every file; change nothing.") var dryRun = false

        func run() throws {
            try runReportingErrors {
                let gateway = try openGateway()
                let (record, plugin) = try endpointAndPlugin(endpoint, gateway: gateway)
                let material = try loadMaterial(gateway: gateway)
                var job = InstallJob(gateway: gateway, record: record, plugin: plugin, material: material, nodeID: node, alias: alias)
                if dryRun {
                    try job.dryRun(output: printOut)
                    return
                }
                do {
                    try job.run()
                } catch {
                    for line in job.report { printOut(line + "\n") }
                    throw error
                }
                for line in job.report { printOut(line + "\n") }
                try recordInstallation(gateway: gateway, material: material, record: record, node: job.installedNode ?? "default")
            }
        }

        func loadMaterial(gateway: Gateway) throws -> InstallMaterial {
            let anchors = try TrustAnchorSource.anchors(gateway: gateway)
            if let certificateID {
                guard certificate == nil, key == nil, chain == nil else {
                    throw GatewayError.option("cert-id", "give either --cert-id or --cert/--key/--chain, not both")
                }
                return try GatewayCertificates.material(id: certificateID, gateway: gateway, anchors: anchors)
            }
            guard let certificate else { throw GatewayError.option("cert", "is required (or give --cert-id)") }
            guard let key else { throw GatewayError.option("key", "is required with --cert") }
            let password = try keyPassword.map { try EndpointCatalog.readSecret(option: "key-password", value: $0) }
            let (leaf, privateKey, chainCertificates) = try InstallMaterial.fromFiles(certificate: certificate, key: key,
                                                                                      chain: chain, keyPassword: password)
            return try InstallMaterial.validated(leaf: leaf, key: privateKey, chain: chainCertificates, anchors: anchors,
                                                 certificateID: nil)
        }

        func recordInstallation(gateway: Gateway, material: InstallMaterial, record: EndpointRecord, node: String) throws {
            guard let id = material.certificateID else { return }
            try GatewayCertificates.recordInstallation(certificateID: id, endpointID: record.id, node: node, gateway: gateway)
        }
    }

    struct Restart: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Restart or reload an endpoint (Apache and Tomcat need it after installs).")
        @Argument(help: "Instance ID or name of the endpoint.") var endpoint: String

        func run() throws {
            try runReportingErrors {
                let gateway = try openGateway()
                let (record, plugin) = try endpointAndPlugin(endpoint, gateway: gateway)
                guard plugin.supports(.restart, for: record.type) else {
                    throw GatewayError("endpoint type '\(record.type)' (plugin \(plugin.info.name)) cannot be restarted by og-host")
                }
                try InstallRecovery(gateway: gateway, record: record, plugin: plugin).recoverUnfinished { printOut($0 + "\n") }
                let session = try EndpointSession.open(record, gateway: gateway)
                do {
                    try plugin.restart(session.endpoint, services: session)
                } catch let error as PluginCallFailure {
                    gateway.audit(action: "tls.restart", subject: record.name, success: false, detail: error.description)
                    throw GatewayError("restart of '\(record.name)' failed: \(error.description)")
                }
                gateway.audit(action: "tls.restart", subject: record.name, success: true,
                              detail: session.commandLog.joined(separator: " | "))
                printOut("Endpoint '\(record.name)' restarted.\n")
            }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check that an endpoint is reachable and its software is there (the plugin's connection test); changes nothing.")
        @Argument(help: "Instance ID or name of the endpoint.") var endpoint: String

        func run() throws {
            try runReportingErrors {
                printOut(try ConnectionCheck.run(endpoint, gateway: try openGateway()) + "\n")
            }
        }
    }

    struct Nodes: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Discover an endpoint's TLS nodes with the configured and the served certificate.")
        @Argument(help: "Instance ID or name of the endpoint.") var endpoint: String
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let gateway = try openGateway()
                let (record, plugin) = try endpointAndPlugin(endpoint, gateway: gateway)
                let nodes = try NodeDiscovery.discover(record: record, plugin: plugin, gateway: gateway)
                gateway.audit(action: "tls.nodes", subject: record.name, success: true, detail: "\(nodes.count) nodes")
                if output == .json {
                    printOut(try JSONOutput.render(nodes))
                    return
                }
                let formatter = ISO8601DateFormatter()
                printOut(Table.render(header: ["ID", "NAME", "PROTOCOL", "ADDRESS", "SUBJECT", "NOT AFTER", "SHA-256", "SERVED"], rows: nodes.map { node in
                    let served: String
                    if let certificate = node.served {
                        served = node.mismatch ? "MISMATCH: \(certificate.sha256Fingerprint.prefix(16))" : "same"
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
}

extension TLSCommand {
    struct Recover: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Finish an install that a crash interrupted: restore the files from the journal and re-activate.",
            discussion: "tls install and tls restart do this by themselves before they start.")
        @Argument(help: "Instance ID or name of the endpoint.") var endpoint: String

        func run() throws {
            try runReportingErrors {
                let gateway = try openGateway()
                let (record, plugin) = try endpointAndPlugin(endpoint, gateway: gateway)
                var recovered = false
                try InstallRecovery(gateway: gateway, record: record, plugin: plugin).recoverUnfinished {
                    recovered = true
                    printOut($0 + "\n")
                }
                if !recovered { printOut("Endpoint '\(record.name)' has no interrupted install.\n") }
            }
        }
    }
}
