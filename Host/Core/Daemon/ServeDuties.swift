import Foundation
import OGBasics
import OGInventory

/// The duties `og-host serve` runs.
public enum ServeDuties {
    /// Every duty of the daemon, in the order they are considered.
    public static func standard() -> [ServeDuty] {
        [renewal(), deployRetry(), watch(), eventDelivery(), recovery()]
    }

    /// The renewal pass (the one `og-host renew` runs), whenever the renewal
    /// schedule's indexed due query says a lineage's next attempt has come.
    /// A lineage another gateway has claimed is due when its claim runs out; one
    /// still due right after a pass (nothing could advance it) waits
    /// `renewalCheckIntervalSeconds` instead of spinning.
    public static func renewal() -> ServeDuty {
        ServeDuty(name: "renewal", due: { context, last in
            guard let row = try RenewalPass(gateway: context.gateway).nextDue(limit: 1).first,
                  var next = row.nextAttemptAt else { return nil }
            if let claim = row.claimExpiresAt, claim > next { next = claim }
            if let last, next <= last { next = last.addingTimeInterval(context.configuration.renewalCheckInterval) }
            return next
        }, run: { context in
            // The pass auto-deploys renewed versions itself, through CertificateDeployService (child og-host jobs).
            var pass = RenewalPass(gateway: context.gateway)
            pass.retryDeploys = false  // the deploy duty's work
            let report = try pass.run(now: Date())
            for item in report.items {
                context.metrics.countJob(kind: "renewal", outcome: item.outcome.rawValue)
                if let deploy = item.deploy, deploy.attempted {
                    context.metrics.countJob(kind: "auto-deploy", outcome: deploy.succeeded ? "success" : "failure")
                    for endpoint in deploy.endpoints { context.metrics.countJob(kind: "install", outcome: endpoint.outcome) }
                }
            }
            if report.items.isEmpty { return "" }
            return report.items.map { "\($0.name): \($0.outcome.rawValue)" }.joined(separator: ", ")
        })
    }

    /// Deploys owed to bindings (a failed auto-deploy, or one a killed daemon never finished) when their next
    /// attempt comes (`BindingDeployState.nextAttemptAt`, indexed; after any renewal claim on the lineage).
    /// One still due right after a run (nothing could settle it) waits `renewalCheckIntervalSeconds`.
    public static func deployRetry() -> ServeDuty {
        ServeDuty(name: "deploy", due: { context, last in
            guard var next = try context.inventory.nextDeployAttempt() else { return nil }
            if let last, next <= last { next = last.addingTimeInterval(context.configuration.renewalCheckInterval) }
            return next
        }, run: { context in
            var retry = DeployRetry(gateway: context.gateway)
            retry.parallel = max(context.workers, 1)
            let items = try retry.run(now: Date(), isStopping: { context.isStopping })
            for item in items { context.metrics.countJob(kind: "deploy-retry", outcome: item.succeeded ? "success" : "failure") }
            return items.map { "\($0.name): \($0.succeeded ? "deployed" : "failed") (\($0.message))" }.joined(separator: ", ")
        })
    }

    /// Runs `body` for every item on at most `workers` threads at once; returns when all are done.
    public static func bounded<Item: Sendable>(_ items: [Item], workers: Int, _ body: @escaping @Sendable (Item) -> Void) {
        let slots = DispatchSemaphore(value: max(workers, 1))
        let group = DispatchGroup()
        for item in items {
            slots.wait()
            group.enter()
            Thread.detachNewThread {
                body(item)
                slots.signal()
                group.leave()
            }
        }
        group.wait()
    }

    /// Finishes installs whose job died (a crashed child, a killed daemon or CLI):
    /// every endpoint with an unfinished journal entry whose lease ran out gets a
    /// `recover` job in a child og-host, on at most `workers` endpoints at once.
    public static func recovery() -> ServeDuty {
        let backoff = RecoveryBackoff()
        return ServeDuty(name: "recovery", due: { context, last in
            guard let last else { return Date() }
            return last.addingTimeInterval(context.configuration.recoveryInterval)
        }, run: { context in
            let now = Date()
            let abandoned = try context.inventory.unfinishedInstalls().filter { $0.leaseExpired(at: now) }
            let endpoints = Array(Set(abandoned.map(\.endpointID))).sorted().filter { backoff.mayTry($0, at: now) }
            if endpoints.isEmpty { return "" }
            let single = try EndpointJobLauncher(gateway: context.gateway)
            let launcher = endpoints.count > 1 ? single.pooled(min(context.workers, endpoints.count)) : single
            defer { launcher.drain() }
            let results = OutcomeList()
            bounded(endpoints, workers: context.workers) { endpoint in
                guard !context.isStopping else { return }
                let outcome = launcher.run(JobSpec(kind: .recover, endpoint: endpoint, wait: 0), log: { line in
                    context.logger.info("recover \(endpoint): \(line)")
                })
                context.metrics.recordJob(kind: "recover", outcome: outcome.status.rawValue, seconds: outcome.seconds)
                backoff.record(endpoint, succeeded: outcome.succeeded, interval: context.configuration.recoveryInterval)
                results.append(outcome)
            }
            let outcomes = results.items
            let failed = outcomes.filter { !$0.succeeded }
            for outcome in failed {
                context.logger.error("recovery of \(outcome.endpoint) failed: \(outcome.message)")
            }
            return "recovered \(outcomes.count - failed.count) of \(endpoints.count) endpoint(s) with abandoned installs"
                + (failed.isEmpty ? "" : "; failed: " + failed.map(\.endpoint).joined(separator: ", "))
        })
    }

    /// Delivers the event outbox to hooks and the webhook whenever an event is due.
    public static func eventDelivery() -> ServeDuty {
        ServeDuty(name: "events", due: { context, _ in
            try context.inventory.nextEventAttempt()
        }, run: { context in
            var delivery = EventDelivery(gateway: context.gateway, configuration: context.configuration)
            delivery.batchSize = 50
            var delivered = 0
            var failed = 0
            while !context.isStopping {
                let round = try delivery.deliverDue()
                for (channel, outcome) in round.channelOutcomes {
                    context.metrics.recordDelivery(channel: channel, succeeded: outcome.succeeded, failed: outcome.failed)
                }
                delivered += round.delivered
                failed += round.failed
                if round.delivered + round.failed < delivery.batchSize { break }
            }
            if delivered + failed == 0 { return "" }
            return "\(delivered) event(s) delivered" + (failed > 0 ? ", \(failed) to retry later" : "")
        })
    }
}

/// Outcomes collected from worker threads.
final class OutcomeList: @unchecked Sendable {
    private let lock = Locked()
    private var collected: [JobOutcome] = []
    func append(_ outcome: JobOutcome) { lock.withLock { collected.append(outcome) } }
    var items: [JobOutcome] { lock.withLock { collected } }
}

/// Endpoints whose recovery failed wait longer each time (the interval doubling, at most an hour),
/// so a plugin that crashes on every attempt is not restarted every minute.
final class RecoveryBackoff: @unchecked Sendable {
    private let lock = Locked()
    private var failures: [String: (count: Int, until: Date)] = [:]

    func mayTry(_ endpoint: String, at now: Date) -> Bool {
        lock.withLock { (failures[endpoint]?.until ?? .distantPast) <= now }
    }

    func record(_ endpoint: String, succeeded: Bool, interval: TimeInterval) {
        lock.withLock {
            if succeeded {
                failures[endpoint] = nil
            } else {
                let count = (failures[endpoint]?.count ?? 0) + 1
                let pause = min(interval * pow(2, Double(count - 1)), 3_600)
                failures[endpoint] = (count, Date().addingTimeInterval(pause))
            }
        }
    }
}
