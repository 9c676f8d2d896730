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

    public var dataDirectory: String
    public var running: Bool
    /// The daemon's PID while it runs.
    public var pid: Int32?
    /// The daemon's last published state (also after it stopped, marked so by `running`).
    public var daemon: ServeState?
    public var undeliveredEvents: Int
    /// The oldest undelivered events, with their last error.
    public var pendingEvents: [PendingEvent]

    public static func gather(gateway: Gateway, eventLimit: Int = 10) throws -> ServeStatusReport {
        let directory = gateway.dataDirectory
        let pid = ServeLock.runningPID(in: directory)
        let state = ServeState.read(in: directory)
        var undelivered = 0
        var pending: [PendingEvent] = []
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
            } catch {
                throw GatewayError.classify(error)
            }
        }
        return ServeStatusReport(dataDirectory: directory.path, running: pid != nil, pid: pid.flatMap { $0 > 0 ? $0 : nil },
                                 daemon: state, undeliveredEvents: undelivered, pendingEvents: pending)
    }
}
