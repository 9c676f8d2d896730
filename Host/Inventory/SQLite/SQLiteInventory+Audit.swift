import Foundation
import GRDB

extension AuditRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "audit"

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension SQLiteInventory {
    /// Appends `record` to the audit trail and returns it with its ID.
    @discardableResult
    public func appendAudit(_ record: AuditRecord) throws -> AuditRecord {
        try RecordValidation.nonEmpty(record.action, field: "audit action")
        try RecordValidation.nonEmpty(record.actor, field: "audit actor")
        // Every job appends one, so through kept statements with the columns
        // named and dates written and read by `DatabaseDate` (GRDB's record
        // encoding and decoding cost about 1 M instructions here).
        return try write { db in
            try db.executeCached("INSERT INTO audit (time, actor, action, subject, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)",
                                 [DatabaseDate.value(record.time), record.actor, record.action, record.subject,
                                  record.outcome.rawValue, record.detail])
            let id = db.lastInsertedRowID
            let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, time, actor, action, subject, outcome, detail FROM audit WHERE id = ?"),
                                          arguments: [id])!
            guard let outcome = AuditRecord.Outcome(rawValue: try row.decode(atIndex: 5)) else {
                throw InventoryError.database(path: path, message: "audit record \(id) has an unknown outcome")
            }
            var stored = AuditRecord(time: try DatabaseDate.decode(row, atIndex: 1), actor: try row.decode(atIndex: 2),
                                     action: try row.decode(atIndex: 3), subject: try row.decode(atIndex: 4), outcome: outcome,
                                     detail: try row.decode(atIndex: 6))
            stored.id = try row.decode(atIndex: 0)
            return stored
        }
    }

    /// Audit records matching `filter`, newest first.
    public func auditRecords(_ filter: AuditFilter) throws -> [AuditRecord] {
        if let limit = filter.limit, limit < 0 {
            throw InventoryError.invalidValue(field: "limit", value: String(limit), problem: "is negative; give 0 or more")
        }
        return try read { db in
            var request = AuditRecord.all()
            if let subject = filter.subject { request = request.filter(Column("subject") == subject) }
            if let action = filter.action { request = request.filter(Column("action") == action) }
            if let since = filter.since { request = request.filter(Column("time") >= since) }
            if let until = filter.until { request = request.filter(Column("time") < until) }
            if let outcome = filter.outcome { request = request.filter(Column("outcome") == outcome.rawValue) }
            request = request.order(Column("time").desc, Column("id").desc)
            if let limit = filter.limit { request = request.limit(limit) }
            return try request.fetchAll(db)
        }
    }
}
