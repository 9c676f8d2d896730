import Foundation
import OGBasics
import OGInventory

/// `og-host status`: whether a daemon runs on this data directory, what it
/// did and will do next, and what waits in the event outbox.
public struct ServeStatusReport: Codable, Sendable {
    public struct PendingEvent: Codable, Sendable {
        public var id: Int64
        public var kind: String
        public var subject: String
        public var endpoint: String?
        public var createdAt: Date
        public var attempts: Int
        public var nextAttemptAt: Date?
        public var lastError: String?
    }

    public struct Renewal: Codable, Sendable {
        public var name: String
        public var nextAttemptAt: Date?
        public var dueAt: Date?
        public var reason: String?
        public var failures: Int
        public var errorClass: String?
        public var lastError: String?
        public var backoffUntil: Date?
        public var claimedBy: String?

        init(_ row: RenewalScheduleRecord) {
            name = row.lineage
            nextAttemptAt = row.nextAttemptAt
            dueAt = row.dueAt
            reason = row.dueReason
            failures = row.failures
            errorClass = row.errorClass
            lastError = row.lastError
            backoffUntil = row.backoffUntil
            claimedBy = row.claimedBy
        }
    }

    /// A binding that owes a deploy (auto-deploy pending, or failed and backing off).
    public struct OwedDeploy: Codable, Sendable {
        public var name: String
        public var endpoint: String
        public var node: String
        public var state: String
        public var attempts: Int
        public var nextAttemptAt: Date
        public var errorClass: String?
        public var lastError: String?
    }

    public var dataDirectory: String
    public var running: Bool
    /// The daemon's PID while it runs.
    public var pid: Int32?
    /// The daemon's last published state (also after it stopped, marked so by `running`).
    public var daemon: ServeState?
    public var undeliveredEvents: Int
    /// The oldest undelivered events, with their last error.
    public var pendingEvents: [PendingEvent]
    /// The next lineages with renewal work, soonest first.
    public var nextDue: [Renewal]
    /// Lineages whose renewal failed, with the backoff they wait out.
    public var failing: [Renewal]
    /// Bindings owing a deploy, soonest attempt first (at most 20), and how many in all.
    public var owedDeploys: [OwedDeploy] = []
    public var owedDeployCount = 0

    public static func gather(gateway: Gateway, eventLimit: Int = 10) throws -> ServeStatusReport {
        let directory = gateway.dataDirectory
        let pid = ServeLock.runningPID(in: directory)
        let state = ServeState.read(in: directory)
        var undelivered = 0
        var pending: [PendingEvent] = []
        var nextDue: [Renewal] = []
        var failing: [Renewal] = []
        var owed: [OwedDeploy] = []
        var owedCount = 0
        // A data directory nobody used yet has no inventory; say so without creating one.
        if LocalFiles.exists(directory.inventoryPath) {
            do {
                let inventory = try gateway.inventory()
                undelivered = try inventory.undeliveredEventCount()
                pending = try inventory.undeliveredEvents(limit: eventLimit).compactMap { event in
                    guard let id = event.id else { return nil }
                    return PendingEvent(id: id, kind: event.kind.rawValue, subject: event.subject, endpoint: event.endpoint,
                                        createdAt: event.createdAt, attempts: event.attempts,
                                        nextAttemptAt: event.nextAttemptAt, lastError: event.lastError)
                }
                nextDue = try inventory.nextRenewals(limit: 5).filter { !$0.needsPlanning }.map(Renewal.init)
                failing = try inventory.failingRenewals(limit: 20).map(Renewal.init)
                owedCount = try inventory.deployStateCount()
                owed = try inventory.deployStates(limit: 200).sorted { $0.nextAttemptAt < $1.nextAttemptAt }.prefix(20).map { row in
                    OwedDeploy(name: row.lineage, endpoint: (try? inventory.endpoint(matching: row.endpointID))?.name ?? row.endpointID,
                               node: row.node, state: row.state.rawValue, attempts: row.attempts,
                               nextAttemptAt: row.nextAttemptAt, errorClass: row.errorClass, lastError: row.lastError)
                }
            } catch {
                throw GatewayError.classify(error)
            }
        }
        return ServeStatusReport(dataDirectory: directory.path, running: pid != nil, pid: pid.flatMap { $0 > 0 ? $0 : nil },
                                 daemon: state, undeliveredEvents: undelivered, pendingEvents: pending,
                                 nextDue: nextDue, failing: failing, owedDeploys: owed, owedDeployCount: owedCount)
    }
}
