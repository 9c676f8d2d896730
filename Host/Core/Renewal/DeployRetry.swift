import Dispatch
import Foundation
import OGBasics
import OGInventory

extension RenewalBackoff {
    /// Waits between attempts of a deploy owed to a binding, by the failure's error class (as renewal's:
    /// `RenewalErrorClass.classify` of the job's category): an endpoint that was down or busy (network) is
    /// tried again after 1 minute doubling to 1 hour; a refused login or a missing file (configuration) after
    /// 1 hour doubling to a day; a step that failed and was rolled back (other) after 15 minutes doubling to
    /// 12 hours; +0–10 % jitter. `OG_DEPLOY_RETRY_SECONDS` (1–86400) replaces every first wait.
    public static func deploy(environment: Environment = .process) -> RenewalBackoff {
        var backoff = RenewalBackoff.standard
        backoff.rules[.network] = Rule(initial: 60, growth: 2, cap: 3_600)
        backoff.rules[.configuration] = Rule(initial: 3_600, growth: 2, cap: 86_400)
        backoff.rules[.other] = Rule(initial: 900, growth: 2, cap: 12 * 3_600)
        if let text = environment["OG_DEPLOY_RETRY_SECONDS"], let seconds = Double(text), (1...86_400).contains(seconds) {
            for (errorClass, rule) in backoff.rules {
                backoff.rules[errorClass] = Rule(initial: seconds, growth: rule.growth, cap: max(rule.cap, seconds))
            }
        }
        return backoff
    }
}

/// Retries the deploys owed to bindings (`BindingDeployState`) whose next
/// attempt has come: for each lineage, the current version to the endpoints
/// that owe it, through `CertificateDeployService` (one child job per
/// endpoint, verified by handshake, rolled back on its own), which settles the
/// rows (cleared on success, the next attempt backed off on failure) and
/// records the events. Run by every renewal pass (`og-host renew`) and by the
/// daemon's `deploy` duty. A lineage that a renewal holds is left to it.
public struct DeployRetry: Sendable {
    public let gateway: Gateway
    /// Endpoint jobs at once per lineage.
    public var parallel = CertificateDeployService.defaultParallel
    /// Owed rows read per run.
    public var limit = 1_000

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    /// What one lineage's retry did.
    public struct Item: Sendable, Encodable {
        public var name: String
        public var endpoints: [String]
        public var succeeded: Bool
        public var message: String
        /// The gateway error category when it failed (`partial` when some endpoints succeeded).
        public var category: String?
    }

    /// Retries what is due at `now`; stops between lineages once `isStopping` says so.
    public func run(now: Date = Date(), isStopping: @escaping () -> Bool = { false }) throws -> [Item] {
        let inventory = try GatewayError.inventoryCall { try gateway.inventory() }
        let due = try GatewayError.inventoryCall { try inventory.dueDeploys(at: now, limit: limit) }
        if due.isEmpty { return [] }
        var order: [String] = []
        var endpoints: [String: [String]] = [:]
        for row in due {
            if endpoints[row.lineage] == nil { order.append(row.lineage) }
            if !(endpoints[row.lineage] ?? []).contains(row.endpointID) { endpoints[row.lineage, default: []].append(row.endpointID) }
        }
        var items: [Item] = []
        for lineage in order {
            if isStopping() { break }
            let wanted = endpoints[lineage] ?? []
            do {
                let report = try CertificateDeployService(gateway: gateway)
                    .deploy(name: lineage, endpoints: wanted, parallel: parallel)
                let rows = report.rows.map { "\($0.endpoint) \($0.outcome.rawValue)" + ($0.succeeded ? "" : " (\($0.message))") }
                items.append(Item(name: lineage, endpoints: report.rows.map(\.endpoint), succeeded: report.failed == 0,
                                  message: "owed deploy of version \(report.version.map(String.init) ?? "-"): "
                                      + rows.joined(separator: "; "),
                                  category: report.category?.rawValue))
            } catch {
                Self.recordRefusal(lineage: lineage, error: error, inventory: inventory)
                let failure = GatewayError.classify(error)
                items.append(Item(name: lineage, endpoints: wanted, succeeded: false, message: failure.message,
                                  category: failure.category.rawValue))
            }
        }
        return items
    }

    /// A deploy refused before any job started (no issued current version, an endpoint gone): every owed row of
    /// the lineage counts the attempt and backs off, so the refusal is not repeated at once.
    static func recordRefusal(lineage: String, error: any Error, inventory: any InventoryStore) {
        let failure = GatewayError.classify(error)
        let errorClass = RenewalErrorClass.classify(error).errorClass
        let backoff = RenewalBackoff.deploy()
        var random = SystemRandomNumberGenerator()
        let now = Date()
        let owed = Set(((try? inventory.deployStates(lineage: lineage)) ?? []).map(\.endpointID))
        for endpointID in owed.sorted() {
            _ = try? inventory.recordDeployFailed(lineage: lineage, endpointID: endpointID, errorClass: errorClass.rawValue,
                                                  category: failure.category.rawValue, message: failure.message, at: now) {
                now.addingTimeInterval(backoff.delay(errorClass, failures: $0, retryAfter: nil, emergency: false, using: &random))
            }
        }
    }
}

/// Keeps a renewal claim alive while its lineage is worked on: renews it every
/// third of its duration on a thread of its own, so a long issuance or deploy
/// is never taken over, while a gateway that dies stops renewing and its claim
/// runs out within one duration.
final class ClaimHeartbeat: @unchecked Sendable {
    private let stopSignal = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let lock = Locked()
    private var lostClaim = false

    init(inventory: any InventoryStore, claim: RenewalClaim, duration: TimeInterval) {
        let interval = max(duration / 3, 0.2)
        Thread.detachNewThread { [self] in
            defer { finished.signal() }
            var current = claim
            while stopSignal.wait(timeout: .now() + interval) == .timedOut {
                do {
                    guard let renewed = try inventory.renewRenewalClaim(current, duration: duration) else {
                        lock.withLock { lostClaim = true }
                        return
                    }
                    current = renewed
                } catch {
                    // A busy database: try again at the next beat; the claim still has two thirds to run.
                    continue
                }
            }
        }
    }

    /// True once a renewal found the claim taken over (it expired before a beat could renew it).
    var isLost: Bool { lock.withLock { lostClaim } }

    /// Stops the beats and waits for the thread, so no renewal lands after the claim is released.
    func stop() {
        stopSignal.signal()
        finished.wait()
    }
}
