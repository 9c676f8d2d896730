import Foundation
import OGBasics
import OGInventory

/// The daemon's counters, rendered in the Prometheus text format (0.0.4) on
/// `GET /metrics`. Gauges that describe the inventory (days to expiry, undelivered
/// events) are read when scraped, so they are never stale.
public final class ServeMetrics: @unchecked Sendable {
    private let lock = Locked()
    private var jobCounts: [JobKey: Int] = [:]
    private var jobSeconds: [String: (sum: Double, count: Int, buckets: [Int])] = [:]
    private var deliveries: [JobKey: Int] = [:]
    private var queueDepth = 0
    private var running = 0
    private var lastPass: [String: Date] = [:]
    public let startedAt = Date()

    /// Upper bounds of the job-duration histogram, in seconds.
    static let bounds: [Double] = [0.5, 1, 2.5, 5, 10, 30, 60, 300, 900]

    struct JobKey: Hashable { var kind: String; var outcome: String }

    public init() {}

    /// One finished job (or duty): `kind` such as install, recover, renewal, watch; `outcome` such as installed, failed.
    public func recordJob(kind: String, outcome: String, seconds: Double) {
        lock.withLock {
            jobCounts[JobKey(kind: kind, outcome: outcome), default: 0] += 1
            var entry = jobSeconds[kind] ?? (0, 0, Array(repeating: 0, count: Self.bounds.count))
            entry.sum += seconds
            entry.count += 1
            for (index, bound) in Self.bounds.enumerated() where seconds <= bound { entry.buckets[index] += 1 }
            jobSeconds[kind] = entry
        }
    }

    /// A finished job whose duration is not known separately (an item of a pass): counted only.
    public func countJob(kind: String, outcome: String) {
        lock.withLock { jobCounts[JobKey(kind: kind, outcome: outcome), default: 0] += 1 }
    }

    public func recordDelivery(channel: String, succeeded: Int, failed: Int) {
        lock.withLock {
            if succeeded > 0 { deliveries[JobKey(kind: channel, outcome: "success"), default: 0] += succeeded }
            if failed > 0 { deliveries[JobKey(kind: channel, outcome: "failure"), default: 0] += failed }
        }
    }

    /// Work that is due but waits for a worker, and work running now.
    public func setQueue(waiting: Int, running: Int) {
        lock.withLock {
            queueDepth = waiting
            self.running = running
        }
    }

    public func markPass(_ duty: String, at time: Date) {
        lock.withLock { lastPass[duty] = time }
    }

    public var snapshot: (waiting: Int, running: Int) { lock.withLock { (queueDepth, running) } }

    /// The exposition text. `inventory` supplies the certificate and outbox gauges.
    public func render(inventory: (any InventoryStore)?, now: Date = Date()) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
            let text = labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
            out += "\(name)\(text) \(Self.number(value))\n"
        }
        family("og_host_up", "gauge", "1 while the daemon runs.")
        sample("og_host_up", [], 1)
        family("og_host_start_time_seconds", "gauge", "When the daemon started (Unix time).")
        sample("og_host_start_time_seconds", [], startedAt.timeIntervalSince1970.rounded())
        if let inventory {
            family("og_host_certificate_expiry_days", "gauge",
                   "Days until the current version of each named certificate expires (negative: expired).")
            for (name, notAfter) in (try? inventory.currentCertificateExpiries()) ?? [] {
                sample("og_host_certificate_expiry_days", [("certificate", name)],
                       (notAfter.timeIntervalSince(now) / 86_400 * 1000).rounded() / 1000)
            }
            family("og_host_events_undelivered", "gauge", "Events in the outbox not yet delivered to every hook and webhook.")
            sample("og_host_events_undelivered", [], Double((try? inventory.undeliveredEventCount()) ?? 0))
            family("og_host_deploys_owed", "gauge", "Bindings that owe a deploy of their certificate's current version (pending or failed).")
            sample("og_host_deploys_owed", [], Double((try? inventory.deployStateCount()) ?? 0))
        }
        let (counts, seconds, delivered, waiting, active, passes) = lock.withLock {
            (jobCounts, jobSeconds, deliveries, queueDepth, running, lastPass)
        }
        family("og_host_queue_depth", "gauge", "Work that is due and waits for a free worker.")
        sample("og_host_queue_depth", [], Double(waiting))
        family("og_host_jobs_running", "gauge", "Work running now.")
        sample("og_host_jobs_running", [], Double(active))
        family("og_host_jobs_total", "counter", "Finished jobs by kind and outcome.")
        for key in counts.keys.sorted(by: { ($0.kind, $0.outcome) < ($1.kind, $1.outcome) }) {
            sample("og_host_jobs_total", [("kind", key.kind), ("outcome", key.outcome)], Double(counts[key]!))
        }
        family("og_host_job_duration_seconds", "histogram", "How long finished jobs took, by kind.")
        for kind in seconds.keys.sorted() {
            let entry = seconds[kind]!
            for (index, bound) in Self.bounds.enumerated() {
                sample("og_host_job_duration_seconds_bucket", [("kind", kind), ("le", Self.number(bound))], Double(entry.buckets[index]))
            }
            sample("og_host_job_duration_seconds_bucket", [("kind", kind), ("le", "+Inf")], Double(entry.count))
            sample("og_host_job_duration_seconds_sum", [("kind", kind)], entry.sum)
            sample("og_host_job_duration_seconds_count", [("kind", kind)], Double(entry.count))
        }
        family("og_host_event_deliveries_total", "counter", "Event delivery attempts by channel and outcome.")
        for key in delivered.keys.sorted(by: { ($0.kind, $0.outcome) < ($1.kind, $1.outcome) }) {
            sample("og_host_event_deliveries_total", [("channel", key.kind), ("outcome", key.outcome)], Double(delivered[key]!))
        }
        family("og_host_last_pass_time_seconds", "gauge", "When each scheduled duty last ran (Unix time).")
        for duty in passes.keys.sorted() {
            sample("og_host_last_pass_time_seconds", [("duty", duty)], passes[duty]!.timeIntervalSince1970.rounded())
        }
        return out
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
