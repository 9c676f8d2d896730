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
        return try write { db in
            var stored = record
            stored.id = nil
            try stored.insert(db)
            return try AuditRecord.fetchOne(db, where: "id", equals: stored.id!)!
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
