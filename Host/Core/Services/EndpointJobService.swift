import Foundation
import OGInventory
import OGPlugins

/// What to install, as the operator named it.
public struct InstallRequest: Sendable {
    public enum Material: Sendable {
        /// A certificate held by the gateway (`og-host cert`), by ID or name.
        case managed(String)
        /// Files on the gateway; `keyPassword` is `-` (standard input) or `env:NAME` (a literal is refused: argv is public).
        case files(certificate: String, key: String, keyPassword: String?, chain: String?)
    }

    public var endpoint: String
    public var material: Material
    public var node: String?
    public var alias: String?
    public var dryRun: Bool
    /// How long to wait while another job holds the endpoint.
    public var wait: Duration
    /// When every file already holds the certificate and every verify target
    /// serves it, change nothing (`cert deploy` repeated after a partial run).
    public var skipIfUnchanged = false

    public init(endpoint: String, material: Material, node: String? = nil, alias: String? = nil, dryRun: Bool = false,
                wait: Duration = EndpointJobService.defaultWait) {
        self.endpoint = endpoint
        self.wait = wait
        self.material = material
        self.node = node
        self.alias = alias
        self.dryRun = dryRun
    }

    /// The material from the install inputs (`cert-id`, or `cert`, `key`, `key-password`, `chain`), refusing mixtures.
    public static func material(certificateID: String?, certificate: String?, key: String?, keyPassword: String?,
                                chain: String?) throws -> Material {
        if let certificateID {
            guard certificate == nil, key == nil, chain == nil, keyPassword == nil else {
                throw GatewayError.option("cert-id", "give either a gateway certificate or certificate and key files, not both")
            }
            return .managed(certificateID)
        }
        guard let certificate else { throw GatewayError.option("cert", "is required (or give a gateway certificate ID)") }
        guard let key else { throw GatewayError.option("key", "is required with a certificate file") }
        return .files(certificate: certificate, key: key, keyPassword: keyPassword, chain: chain)
    }
}

/// What an install did, for the operator.
public struct InstallOutcome: Sendable {
    /// The node the plan installed on (the plugin's choice when none was given).
    public var node: String?
    public var leafFingerprint: String
    /// The endpoint already held and served the certificate; nothing was changed.
    public var unchanged = false
    /// Every node of the job, in the order asked (nil where the plan named none).
    public var nodes: [String?] = []
}

/// The jobs that act on one endpoint: install, restart, recover, and node
/// discovery. The CLI and a daemon call these; each job is one transaction
/// on its endpoint and is audited here.
///
/// One job at a time per endpoint: install, restart and recover hold the
/// endpoint's lease (`EndpointJobLease`) from before they touch it until they
/// end; another job waits up to its `wait`, then is refused as busy
/// (conflict). Discovery and dry runs only read and take no lease.
///
/// In-process jobs are `async` where they wait (for a busy endpoint, for a
/// reload to settle before the new certificate is served) and run on an
/// executor of their own (`JobExecutor`): their blocking steps — plugin
/// slots, the connection, handshakes — never occupy Swift's cooperative
/// pool, and their waits hold no thread at all.
public struct EndpointJobService {
    public let gateway: Gateway
    /// How long a job waits for a busy endpoint unless told otherwise.
    public static let defaultWait: Duration = .seconds(5)

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    /// The endpoint and its plugin, loaded for a job.
    func endpointAndPlugin(_ reference: String) throws -> (EndpointRecord, PluginLibrary) {
        let record = try EndpointCatalog(gateway: gateway).find(reference)
        let (_, plugin) = try gateway.plugin(forType: record.type)
        return (record, plugin)
    }

    /// Installs a certificate: material checked (key matches, chain reaches a
    /// trust anchor, dates) → back up, write, test, activate, verify, record
    /// where it went; roll back on any failure. `report` receives the job's
    /// lines as they happen (the dry run's plan and diffs too).
    @discardableResult
    public func install(_ request: InstallRequest, report: @escaping (String) -> Void) async throws -> InstallOutcome {
        _ = try EndpointCatalog(gateway: gateway).find(request.endpoint)
        return try await install(request, material: try loadMaterial(request.material), report: report)
    }

    func install(_ request: InstallRequest, material: InstallMaterial, report: @escaping (String) -> Void) async throws -> InstallOutcome {
        try await install(request, targets: [InstallTarget(node: request.node, alias: request.alias)], material: material,
                          report: report)
    }

    /// Installs on every target of one endpoint as ONE transaction: one lease,
    /// one journal entry holding every node's backups and writes, one config
    /// test, one reload, every node's served certificate verified; any failure
    /// (or a crash, through recovery) rolls back every node.
    func install(_ request: InstallRequest, targets: [InstallTarget], material: InstallMaterial,
                 report: @escaping (String) -> Void) async throws -> InstallOutcome {
        let (record, plugin) = try endpointAndPlugin(request.endpoint)
        if request.dryRun {
            let job = InstallJob(gateway: gateway, record: record, plugin: plugin, material: material,
                                 targets: targets, report: report)
            let jobID = UUID().uuidString.lowercased()
            let logger = GatewayLogging.jobLogger(jobID: jobID, endpoint: record.name, plugin: plugin.info.name, kind: "dry-run")
            try await JobExecutor.run(label: "og-host job \(jobID.prefix(8))") {
                try JobLog.$logger.withValue(logger) { try job.dryRun() }
            }
            return InstallOutcome(node: nil, leafFingerprint: material.leaf.sha256Fingerprint)
        }
        return try await withLease(on: record, plugin: plugin, kind: "install", wait: request.wait, report: report) { lease, logged in
            var job = InstallJob(gateway: gateway, record: record, plugin: plugin, material: material,
                                 targets: targets, report: logged)
            job.skipIfUnchanged = request.skipIfUnchanged
            try await job.run(lease: lease)
            return InstallOutcome(node: job.installedNode, leafFingerprint: material.leaf.sha256Fingerprint,
                                  unchanged: job.wasUnchanged, nodes: job.installedNodes)
        }
    }

    /// One install of a batch: where, and how it ended.
    public struct TargetResult: Sendable {
        public var endpoint: String
        /// The node asked for (nil = the plugin's choice).
        public var node: String?
        public var result: Result<InstallOutcome, GatewayError>
    }

    func loadMaterial(_ material: InstallRequest.Material) throws -> InstallMaterial {
        switch material {
        case .managed(let id):
            return try GatewayCertificates.material(id: id, gateway: gateway)
        case .files(let certificate, let key, let keyPassword, let chain):
            let (leaf, privateKey, chainCertificates) = try InstallMaterial.fromFiles(certificate: certificate, key: key,
                                                                                      chain: chain, keyPassword: keyPassword)
            return try InstallMaterial.validated(leaf: leaf, key: privateKey, chain: chainCertificates,
                                                 anchors: try TrustAnchorSource.chainAnchors(gateway: gateway), certificateID: nil)
        }
    }

    /// Runs `body` as one job holding `record`'s endpoint, with the job's
    /// logger (job ID, endpoint, plugin) bound for everything it does; `body`
    /// gets a report function that also logs each line. The job runs on its
    /// own executor (`JobExecutor`), a heartbeat keeps its lease while it runs,
    /// and the lease is released however `body` ends.
    func withLease<Result>(on record: EndpointRecord, plugin: PluginLibrary, kind: String, wait: Duration,
                           report: @escaping (String) -> Void,
                           _ body: (EndpointJobLease, @escaping (String) -> Void) async throws -> Result) async throws -> Result {
        let jobID = UUID().uuidString.lowercased()
        let logger = GatewayLogging.jobLogger(jobID: jobID, endpoint: record.name, plugin: plugin.info.name, kind: kind)
        let logged: (String) -> Void = { line in
            logger.info("\(line)")
            report(line)
        }
        return try await JobExecutor.run(label: "og-host job \(jobID.prefix(8))") {
            try await JobLog.$logger.withValue(logger) {
                let lease = try await EndpointJobLease.acquire(gateway: gateway, endpoint: record, kind: kind, wait: wait,
                                                               jobID: jobID) { previous in
                    logged("took over endpoint '\(record.name)' from job \(previous.jobID) (\(previous.kind), \(previous.owner)), "
                           + "whose lease expired at \(ISO8601DateFormatter().string(from: previous.expiresAt))")
                }
                return try await lease.whileHeld { try await body(lease, logged) }
            }
        }
    }

    /// Restarts or reloads an endpoint, after finishing any install a crash interrupted.
    @discardableResult
    public func restart(_ reference: String, wait: Duration = defaultWait,
                        report: @escaping (String) -> Void) async throws -> EndpointRecord {
        let (record, plugin) = try endpointAndPlugin(reference)
        guard plugin.supports(.restart, for: record.type) else {
            throw GatewayError.badInput("endpoint type '\(record.type)' (plugin \(plugin.info.name)) cannot be restarted by og-host")
        }
        return try await withLease(on: record, plugin: plugin, kind: "restart", wait: wait, report: report) { lease, logged in
            try await restart(record, plugin: plugin, lease: lease, report: logged)
        }
    }

    private func restart(_ record: EndpointRecord, plugin: PluginLibrary, lease: EndpointJobLease,
                         report: @escaping (String) -> Void) async throws -> EndpointRecord {
        try await InstallRecovery(gateway: gateway, record: record, plugin: plugin).recoverUnfinished(lease: lease, report: report)
        try lease.requireHeld()
        let session = try EndpointSession.open(record, gateway: gateway)
        do {
            try plugin.restart(session.endpoint, services: session)
        } catch {
            gateway.audit(action: "tls.restart", subject: record.name, success: false, detail: error.description)
            throw GatewayError.classify(error, context: "restart of '\(record.name)' failed")
        }
        gateway.audit(action: "tls.restart", subject: record.name, success: true,
                      detail: session.commandLog.joined(separator: " | "))
        return record
    }

    /// Finishes installs a crash interrupted. Says whether there was one.
    @discardableResult
    public func recover(_ reference: String, wait: Duration = defaultWait,
                        report: @escaping (String) -> Void) async throws -> (endpoint: EndpointRecord, recovered: Bool) {
        let (record, plugin) = try endpointAndPlugin(reference)
        var recovered = false
        try await withLease(on: record, plugin: plugin, kind: "recover", wait: wait, report: report) { lease, logged in
            try await InstallRecovery(gateway: gateway, record: record, plugin: plugin).recoverUnfinished(lease: lease) {
                recovered = true
                logged($0)
            }
        }
        return (record, recovered)
    }

    /// The endpoint's TLS nodes with the configured and the served certificate.
    public func nodes(_ reference: String) throws -> [NodeDiscovery.DiscoveredNode] {
        try nodesReport(reference).nodes
    }

    /// The nodes, and the plugin's warnings while finding them: a discovery that could read only part
    /// of the configuration lists what it read and says what it could not.
    public func nodesReport(_ reference: String) throws -> NodeDiscovery.Report {
        let (record, plugin) = try endpointAndPlugin(reference)
        let logger = GatewayLogging.jobLogger(jobID: UUID().uuidString.lowercased(), endpoint: record.name,
                                              plugin: plugin.info.name, kind: "nodes")
        let report = try JobLog.$logger.withValue(logger) {
            try NodeDiscovery.report(record: record, plugin: plugin, gateway: gateway)
        }
        gateway.audit(action: "tls.nodes", subject: record.name, success: true,
                      detail: "\(report.nodes.count) nodes" + (report.warnings.isEmpty ? "" : ", \(report.warnings.count) warning(s)"))
        return report
    }
}
