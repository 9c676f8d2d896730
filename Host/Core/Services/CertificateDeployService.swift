import Foundation
import OGBasics
import OGInventory

/// What `cert deploy` did: one row per endpoint.
public struct DeployReport: Codable, Sendable {
    public struct Row: Codable, Sendable {
        /// The endpoint's name and ID.
        public var endpoint: String
        public var endpointID: String
        /// The bound nodes the job covered ("" = the plugin's choice), and those it reached.
        public var nodes: [String]
        public var installedNodes: [String]
        public var outcome: JobOutcome.Status
        /// Why it failed (nil when it succeeded).
        public var category: GatewayError.Category?
        public var message: String
        /// SHA-256 of the certificate now installed there (when it was).
        public var fingerprint: String?
        public var seconds: Double
        /// The signal the job's process died of, when it crashed.
        public var signal: Int32?
        public var succeeded: Bool { outcome.succeeded }
    }

    /// The certificate (lineage) name, and the version deployed.
    public var certificate: String
    public var certificateID: String
    public var version: Int?
    public var fingerprint: String
    public var parallel: Int
    public var rows: [Row]
    public var seconds: Double
    public var succeeded: Int { rows.filter(\.succeeded).count }
    public var failed: Int { rows.count - succeeded }
    /// nil when every endpoint succeeded; `partial` when some did; otherwise the most severe failure.
    public var category: GatewayError.Category? {
        GatewayError.Category.combined(succeeded: succeeded, failures: rows.compactMap { $0.succeeded ? nil : ($0.category ?? .internal) })
    }

    private enum CodingKeys: String, CodingKey {
        case certificate, certificateID, version, fingerprint, parallel, rows, seconds, succeeded, failed, category
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(certificate, forKey: .certificate)
        try container.encode(certificateID, forKey: .certificateID)
        try container.encode(version, forKey: .version)
        try container.encode(fingerprint, forKey: .fingerprint)
        try container.encode(parallel, forKey: .parallel)
        try container.encode(rows, forKey: .rows)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(succeeded, forKey: .succeeded)
        try container.encode(failed, forKey: .failed)
        try container.encode(category, forKey: .category)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        certificate = try container.decode(String.self, forKey: .certificate)
        certificateID = try container.decode(String.self, forKey: .certificateID)
        version = try container.decodeIfPresent(Int.self, forKey: .version)
        fingerprint = try container.decode(String.self, forKey: .fingerprint)
        parallel = try container.decode(Int.self, forKey: .parallel)
        rows = try container.decode([Row].self, forKey: .rows)
        seconds = try container.decode(Double.self, forKey: .seconds)
    }

    init(certificate: String, certificateID: String, version: Int?, fingerprint: String, parallel: Int, rows: [Row],
         seconds: Double) {
        self.certificate = certificate
        self.certificateID = certificateID
        self.version = version
        self.fingerprint = fingerprint
        self.parallel = parallel
        self.rows = rows
        self.seconds = seconds
    }
}

/// What a deploy reports while it runs (from its worker threads).
public enum DeployEvent: Sendable {
    /// The jobs are known: endpoint names in order.
    case planned([String])
    case started(endpoint: String)
    case progress(endpoint: String, line: String)
    case finished(DeployReport.Row)
}

/// Deploys the current version of a named certificate to every endpoint it is
/// bound to (or those named): one endpoint job per endpoint, in a child
/// og-host each (`EndpointJobLauncher`), at most `parallel` at a time. Each
/// endpoint's job covers its bound nodes and is rolled back on its own; one
/// endpoint failing, crashing or hanging never stops or undoes another.
/// The CLI (`cert deploy`), renewal's auto-deploy and the daemon call this.
public struct CertificateDeployService: Sendable {
    public let gateway: Gateway
    public let launcher: EndpointJobLauncher
    public static let defaultParallel = 8
    public static let parallelRange = 1...64
    /// The waits between attempts of a deploy owed to a binding.
    public var retryBackoff = RenewalBackoff.deploy()

    public init(gateway: Gateway, launcher: EndpointJobLauncher? = nil) throws {
        self.gateway = gateway
        self.launcher = try launcher ?? EndpointJobLauncher(gateway: gateway)
    }

    /// One endpoint's share of a deploy.
    struct EndpointJob: Sendable {
        var record: EndpointRecord
        var bindings: [CertificateBinding]
    }

    /// Deploys `name`'s current version. `endpoints` (names or IDs) limits it
    /// to those bound endpoints; `force` installs even where every file
    /// already holds the certificate (otherwise such an endpoint is `unchanged`).
    /// Throws only for bad input (nothing was started); endpoint failures are rows.
    public func deploy(name: String, endpoints: [String] = [], parallel: Int = defaultParallel, wait: Double = 5,
                       force: Bool = false, progress: @escaping @Sendable (DeployEvent) -> Void = { _ in }) throws -> DeployReport {
        let started = ContinuousClock.now
        guard Self.parallelRange.contains(parallel) else {
            throw GatewayError.option("parallel", "\(parallel) is not between \(Self.parallelRange.lowerBound) and \(Self.parallelRange.upperBound)")
        }
        guard wait.isFinite, wait >= 0, wait <= 3600 else {
            throw GatewayError.option("wait", "\(wait) is not a number of seconds between 0 and 3600")
        }
        let (current, jobs) = try plan(name: name, endpoints: endpoints)
        progress(.planned(jobs.map(\.record.name)))
        let rows = run(jobs, certificateID: current.id, parallel: parallel, wait: wait, force: force, progress: progress)
        let report = DeployReport(certificate: name, certificateID: current.id, version: current.version,
                                  fingerprint: current.fingerprint ?? "", parallel: parallel, rows: rows,
                                  seconds: (ContinuousClock.now - started).seconds)
        let inventory = try gateway.inventory()
        let owed = recordDeployState(report, inventory: inventory)
        recordEvents(report, owed: owed, inventory: inventory)
        let failed = rows.filter { !$0.succeeded }.map { "\($0.endpoint) \($0.outcome.rawValue)" }
        gateway.audit(action: "cert.deploy", subject: name, success: failed.isEmpty,
                      detail: "version \(current.version.map(String.init) ?? "-") (\(current.id)) to \(rows.count) endpoints: "
                          + "\(report.succeeded) succeeded" + (failed.isEmpty ? "" : "; failed: \(failed.joined(separator: ", "))"))
        return report
    }

    /// Settles the deploys owed to the bindings this deploy reached (`BindingDeployState`): an endpoint that
    /// now holds the version owes nothing; one that failed keeps its rows with the attempt counted and the next
    /// attempt after a wait by error class (`RenewalBackoff.deploy`). A deploy nobody owed (a plain
    /// `cert deploy`) that fails leaves no row: retrying it is the operator's call.
    @discardableResult
    func recordDeployState(_ report: DeployReport, inventory: any InventoryStore) -> [String: BindingDeployState] {
        var owed: [String: BindingDeployState] = [:]
        var random = SystemRandomNumberGenerator()
        let backoff = retryBackoff
        for row in report.rows {
            do {
                if row.succeeded {
                    try inventory.recordDeploySucceeded(lineage: report.certificate, endpointID: row.endpointID)
                } else {
                    let failure = GatewayError(row.message, category: row.category ?? .internal)
                    let errorClass = RenewalErrorClass.classify(failure).errorClass
                    let now = Date()
                    let rows = try inventory.recordDeployFailed(lineage: report.certificate, endpointID: row.endpointID,
                                                     errorClass: errorClass.rawValue, category: failure.category.rawValue,
                                                     message: row.message, at: now) { attempts in
                        now.addingTimeInterval(backoff.delay(errorClass, failures: attempts, retryAfter: nil, emergency: false,
                                                             using: &random))
                    }
                    owed[row.endpointID] = rows.first
                }
            } catch {
                StandardStreams.error("warning: could not record the deploy state of '\(row.endpoint)': \(error)\n")
            }
        }
        return owed
    }

    /// One event per endpoint that changed or failed (`deployed`, `deploy-failed`; scope: endpoint) into the
    /// outbox the daemon delivers from; `unchanged` is no event. Keyed by lineage, endpoint and version, so
    /// retries of one version on one endpoint raise one `deploy-failed` and one `deployed`, however many there are.
    func recordEvents(_ report: DeployReport, owed: [String: BindingDeployState] = [:], inventory: any InventoryStore) {
        for row in report.rows where row.outcome != .unchanged {
            let payload = DeployEventPayload(certificate: report.certificate, certificateID: report.certificateID,
                                             version: report.version, endpoint: row.endpoint, endpointID: row.endpointID,
                                             nodes: row.installedNodes.isEmpty ? row.nodes : row.installedNodes,
                                             outcome: row.outcome.rawValue, message: row.message,
                                             fingerprint: row.fingerprint ?? report.fingerprint,
                                             attempts: owed[row.endpointID]?.attempts,
                                             nextAttemptAt: owed[row.endpointID]?.nextAttemptAt)
            do {
                let kind: GatewayEvent.Kind = row.succeeded ? .deployed : .deployFailed
                let event = try GatewayEvent(kind: kind, subject: report.certificate, endpoint: row.endpoint, payload: payload,
                                             dedupeKey: GatewayEvent.deployKey(kind, lineage: report.certificate,
                                                                               endpointID: row.endpointID,
                                                                               certificateID: report.certificateID))
                _ = try inventory.recordEvent(event)
            } catch {
                StandardStreams.error("warning: could not record the \(row.succeeded ? "deployed" : "deploy-failed") event of '\(row.endpoint)': \(error)\n")
            }
        }
    }

    /// What a `deployed`/`deploy-failed` event carries to hooks and webhooks.
    struct DeployEventPayload: Encodable {
        var certificate: String
        var certificateID: String
        var version: Int?
        var endpoint: String
        var endpointID: String
        var nodes: [String]
        var outcome: String
        var message: String
        var fingerprint: String
        /// For a failure owed to the binding: attempts so far and when the next is due (later ones raise no new event).
        var attempts: Int?
        var nextAttemptAt: Date?
    }

    /// The current version and the endpoint jobs, checked before anything starts.
    func plan(name: String, endpoints: [String]) throws -> (ManagedCertificateRecord, [EndpointJob]) {
        let inventory = try gateway.inventory()
        guard let current = try GatewayError.inventoryCall({ try inventory.currentCertificate(lineage: name) }) else {
            throw GatewayError("no certificate is named '\(name)'; see og-host cert list", category: .notFound)
        }
        guard current.status == .issued, current.certificatePEM != nil else {
            throw GatewayError("the current version of '\(name)' has no certificate yet (status \(current.status.rawValue)); "
                               + "import or issue it first", category: .badInput)
        }
        let bindings = try GatewayError.inventoryCall { try inventory.bindings(ofLineage: name) }
        guard !bindings.isEmpty else {
            throw GatewayError("'\(name)' is bound to no endpoint; bind it with og-host cert bind \(name) field `endpoint` EP "
                               + "or install it once with og-host tls install EP field `cert-id` \(name)", category: .notFound)
        }
        let catalog = EndpointCatalog(gateway: gateway)
        var wanted: Set<String>?
        if !endpoints.isEmpty {
            var chosen: [String: String] = [:]
            for reference in endpoints {
                let record = try catalog.find(reference)
                if let first = chosen[record.id] {
                    throw GatewayError.option("endpoint", "'\(reference)' and '\(first)' are the same endpoint; give each once")
                }
                guard bindings.contains(where: { $0.endpointID == record.id }) else {
                    throw GatewayError.option("endpoint", "'\(reference)' holds no binding of '\(name)'; bind it first with "
                                              + "og-host cert bind \(name) field `endpoint` \(reference)")
                }
                chosen[record.id] = reference
            }
            wanted = Set(chosen.keys)
        }
        var byEndpoint: [String: [CertificateBinding]] = [:]
        for binding in bindings where wanted?.contains(binding.endpointID) ?? true {
            byEndpoint[binding.endpointID, default: []].append(binding)
        }
        var jobs: [EndpointJob] = []
        for (endpointID, bound) in byEndpoint {
            let record = try catalog.find(endpointID)
            jobs.append(EndpointJob(record: record, bindings: bound.sorted { $0.node < $1.node }))
        }
        return (current, jobs.sorted { $0.record.name < $1.record.name })
    }

    /// Runs the jobs on at most `parallel` worker threads, each waiting on its job worker process.
    func run(_ jobs: [EndpointJob], certificateID: String, parallel: Int, wait: Double, force: Bool,
             progress: @escaping @Sendable (DeployEvent) -> Void) -> [DeployReport.Row] {
        let state = WorkQueue(count: jobs.count)
        // Several jobs: as many long-lived job workers as jobs run at once, each running its share one after
        // another. One job: one `job run` child (a worker would only cost its option parsing more).
        let launcher = jobs.count > 1 ? self.launcher.pooled(min(parallel, jobs.count)) : self.launcher
        defer { launcher.drain() }
        let workers = DispatchGroup()
        for _ in 0..<min(parallel, jobs.count) {
            workers.enter()
            Thread.detachNewThread {
                defer { workers.leave() }
                while true {
                    guard let index = state.take() else { return }
                    let job = jobs[index]
                    progress(.started(endpoint: job.record.name))
                    let spec = JobSpec(kind: .install, endpoint: job.record.id, certificateID: certificateID,
                                       targets: job.bindings.map { JobSpec.Target(node: $0.node.isEmpty ? nil : $0.node, alias: $0.alias) },
                                       wait: wait, skipIfUnchanged: !force)
                    let name = job.record.name
                    let outcome = launcher.run(spec, progress: { progress(.progress(endpoint: name, line: $0.line)) })
                    let row = DeployReport.Row(endpoint: name, endpointID: job.record.id, nodes: job.bindings.map(\.node),
                                               installedNodes: outcome.nodes, outcome: outcome.status,
                                               category: outcome.succeeded ? nil : (outcome.category ?? .internal),
                                               message: outcome.message, fingerprint: outcome.fingerprint,
                                               seconds: outcome.seconds, signal: outcome.signal)
                    state.finish(index, row)
                    progress(.finished(row))
                }
            }
        }
        workers.wait()
        return state.rows
    }
}

/// The deploy's shared state between its workers: which job is next, and the rows so far.
private final class WorkQueue: @unchecked Sendable {
    private let lock = Locked()
    private var next = 0
    private var results: [DeployReport.Row?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    /// The next job's index, or nil when every job has been taken.
    func take() -> Int? {
        lock.withLock {
            guard next < results.count else { return nil }
            next += 1
            return next - 1
        }
    }

    func finish(_ index: Int, _ row: DeployReport.Row) { lock.withLock { results[index] = row } }

    var rows: [DeployReport.Row] { lock.withLock { results.compactMap { $0 } } }
}
