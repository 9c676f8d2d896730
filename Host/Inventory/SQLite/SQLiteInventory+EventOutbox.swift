import Foundation
import GRDB

/// The event outbox: what happened to certificates and endpoints (renewed,
/// deployed, failed, expiring, served mismatch), written in the same database
/// as the work that caused it, and delivered later by the daemon to hook
/// commands and a webhook. An event recorded here survives a crash or `kill -9`
/// of whoever recorded it; delivery retries with backoff until it succeeds.
enum EventOutboxSchema {
    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("event-outbox") { db in
            try db.create(table: "gatewayEvent") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("kind", .text).notNull()
                table.column("subject", .text).notNull()
                table.column("endpoint", .text)
                table.column("payload", .text).notNull()
                table.column("createdAt", .datetime).notNull()
                table.column("deliveredAt", .datetime)
                table.column("attempts", .integer).notNull().defaults(to: 0)
                // Undelivered events are found by this, oldest due first.
                table.column("nextAttemptAt", .datetime)
                table.column("lastError", .text)
                // JSON array of the channels ("hook", "webhook") that already
                // took the event, so a retry does not run a succeeded hook twice.
                table.column("deliveredChannels", .text).notNull().defaults(to: "[]")
                // A condition that persists (a node serving the wrong certificate)
                // is seen on every watch; one event per distinct condition.
                table.column("dedupeKey", .text).unique()
            }
            try db.create(index: "gatewayEvent_undelivered", on: "gatewayEvent",
                          columns: ["nextAttemptAt"], condition: Column("deliveredAt") == nil)
        }
    }
}

extension GatewayEvent: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "gatewayEvent"

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension SQLiteInventory {
    /// Appends `event` to the outbox and returns it with its ID. When an event
    /// with the same `dedupeKey` exists, nothing is added and that one is returned.
    @discardableResult
    public func recordEvent(_ event: GatewayEvent) throws -> GatewayEvent {
        try RecordValidation.nonEmpty(event.subject, field: "event subject")
        if let key = event.dedupeKey { try RecordValidation.nonEmpty(key, field: "event dedupeKey") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(event.payload.utf8)),
              object is [String: Any] else {
            throw InventoryError.invalidJSON(field: "event payload", problem: "is not a JSON object")
        }
        return try write { db in
            if let key = event.dedupeKey,
               let existing = try GatewayEvent.filter(Column("dedupeKey") == key).fetchOne(db) {
                return existing
            }
            var stored = event
            stored.id = nil
            stored.deliveredAt = nil
            stored.attempts = 0
            stored.nextAttemptAt = event.createdAt
            stored.lastError = nil
            stored.deliveredChannels = "[]"
            try stored.insert(db)
            return stored
        }
    }

    /// Undelivered events whose next attempt is due at `now` (all undelivered
    /// ones when `now` is nil), oldest due first, at most `limit`.
    public func undeliveredEvents(limit: Int, dueAt now: Date?) throws -> [GatewayEvent] {
        guard limit >= 0 else {
            throw InventoryError.invalidValue(field: "limit", value: String(limit), problem: "is negative; give 0 or more")
        }
        return try read { db in
            var request = GatewayEvent.filter(Column("deliveredAt") == nil)
            if let now { request = request.filter(Column("nextAttemptAt") <= now) }
            return try request.order(Column("nextAttemptAt"), Column("id")).limit(limit).fetchAll(db)
        }
    }

    /// How many events wait for delivery.
    public func undeliveredEventCount() throws -> Int {
        try read { db in try GatewayEvent.filter(Column("deliveredAt") == nil).fetchCount(db) }
    }

    /// When the earliest undelivered event is next due, if any waits.
    public func nextEventAttempt() throws -> Date? {
        try read { db in
            try Date.fetchOne(db, sql: "SELECT MIN(nextAttemptAt) FROM gatewayEvent WHERE deliveredAt IS NULL")
        }
    }

    /// Marks event `id` delivered (to every channel). Returns false when no such
    /// undelivered event exists.
    @discardableResult
    public func markDelivered(_ id: Int64, at time: Date) throws -> Bool {
        try write { db in
            try db.execute(sql: "UPDATE gatewayEvent SET deliveredAt = ?, nextAttemptAt = NULL, lastError = NULL "
                           + "WHERE id = ? AND deliveredAt IS NULL", arguments: [time, id])
            return db.changesCount > 0
        }
    }

    /// Records a failed delivery attempt of event `id`: `channelsDone` took it,
    /// the others failed with `error`; the next attempt is at `retryAt`.
    public func markDeliveryFailed(_ id: Int64, channelsDone: Set<String>, error: String, retryAt: Date) throws {
        let channels = String(decoding: try JSONEncoder().encode(channelsDone.sorted()), as: UTF8.self)
        try write { db in
            try db.execute(sql: "UPDATE gatewayEvent SET attempts = attempts + 1, deliveredChannels = ?, "
                           + "lastError = ?, nextAttemptAt = ? WHERE id = ? AND deliveredAt IS NULL",
                           arguments: [channels, error, retryAt, id])
        }
    }

    /// Events newest first, at most `limit` (for `status` and tests).
    public func events(limit: Int) throws -> [GatewayEvent] {
        try read { db in try GatewayEvent.order(Column("id").desc).limit(limit).fetchAll(db) }
    }
}

extension SQLiteInventory {
    /// Name and expiry of every named (current) certificate that has one, by name:
    /// only the two columns, read row by row from a cursor (no array of 10,000
    /// rows at once) with dates read by `DatabaseDate`, so a scrape over many
    /// certificates stays cheap in time and in the daemon's peak memory.
    public func currentCertificateExpiries() throws -> [(name: String, notAfter: Date)] {
        try read { db in
            var expiries: [(name: String, notAfter: Date)] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT name, notAfter FROM managedCertificate "
                                           + "WHERE name IS NOT NULL AND notAfter IS NOT NULL ORDER BY name")
            while let row = try rows.next() {
                expiries.append((name: row[0], notAfter: try DatabaseDate.decode(row, atIndex: 1)))
            }
            return expiries
        }
    }
}
