import Foundation
import GRDB

extension RenewalDefaults: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "renewalDefaults"
}

extension RenewalScheduleRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "renewalSchedule"
}

/// The renewal schedule: one row per lineage (certificate name) with its
/// policy (renew-before-days, auto-deploy, issuer and the settings `cert issue`
/// was given) and its state (due time, the CA's renewal window and the point
/// chosen in it, failures and backoff, who is renewing it right now).
///
/// `nextAttemptAt` is indexed and is the only thing the scheduler scans: the
/// due query is `WHERE nextAttemptAt <= now ORDER BY nextAttemptAt LIMIT n`.
/// Triggers on `managedCertificate` keep the table in step with the vault
/// without any other code knowing about it: a name that appears or moves to
/// another version (a new version was issued or imported) or disappears sets
/// the lineage's `nextAttemptAt` to the epoch, so the next pass re-plans it first.
enum RenewalScheduleSchema {
    /// `nextAttemptAt` for a row that must be (re)planned: before any real time.
    static let replanMarker = "1970-01-01 00:00:00.000"

    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("renewal-schedule") { db in
            try db.create(table: "renewalSchedule") { table in
                table.primaryKey("lineage", .text)
                // Policy. NULL = the gateway default (renewalDefaults).
                table.column("renewBeforeDays", .integer)
                table.column("autoDeploy", .boolean)
                // NULL = the manual issuer: the operator brings the next version (cert request/import).
                table.column("issuerName", .text)
                // JSON: what `cert issue` was given (names, key, challenge); a TSIG secret only as a credential reference.
                table.column("issuanceSettings", .text).notNull().defaults(to: "{}")
                // State, for the version in certificateID.
                table.column("certificateID", .text)
                table.column("dueAt", .datetime).indexed()
                table.column("dueReason", .text)
                table.column("emergencyAt", .datetime)
                table.column("ariWindowStart", .datetime)
                table.column("ariWindowEnd", .datetime)
                table.column("ariCheckedAt", .datetime)
                table.column("ariNextCheckAt", .datetime)
                table.column("chosenAt", .datetime)
                table.column("failures", .integer).notNull().defaults(to: 0)
                table.column("errorClass", .text)
                table.column("lastError", .text)
                table.column("backoffUntil", .datetime)
                table.column("lastAttemptAt", .datetime)
                table.column("lastOutcome", .text)
                table.column("lastRenewedAt", .datetime)
                table.column("notifiedCertificateID", .text)
                table.column("nextAttemptAt", .datetime).indexed()
                table.column("claimedBy", .text)
                table.column("claimToken", .text)
                table.column("claimExpiresAt", .datetime)
                table.column("createdAt", .datetime).notNull()
                table.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "renewalDefaults") { table in
                table.primaryKey("id", .integer).check { $0 == 1 }
                table.column("renewBeforeDays", .integer)
                table.column("autoDeploy", .boolean).notNull().defaults(to: true)
                table.column("updatedAt", .datetime).notNull()
            }
            try db.execute(sql: "INSERT INTO renewalDefaults (id, renewBeforeDays, autoDeploy, updatedAt) VALUES (1, NULL, 1, ?)",
                           arguments: [Date()])
            try db.execute(sql: """
                INSERT INTO renewalSchedule (lineage, nextAttemptAt, createdAt, updatedAt)
                SELECT name, ?, ?, ? FROM managedCertificate WHERE name IS NOT NULL
                """, arguments: [replanMarker, Date(), Date()])
            let now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
            let replan = """
                INSERT INTO renewalSchedule (lineage, nextAttemptAt, createdAt, updatedAt)
                VALUES (NEW.name, '\(replanMarker)', \(now), \(now))
                ON CONFLICT (lineage) DO UPDATE SET nextAttemptAt = '\(replanMarker)', updatedAt = \(now);
                """
            try db.execute(sql: """
                CREATE TRIGGER renewalScheduleCertificateAdded AFTER INSERT ON managedCertificate
                WHEN NEW.name IS NOT NULL BEGIN \(replan) END;
                CREATE TRIGGER renewalScheduleCertificateChanged AFTER UPDATE ON managedCertificate
                WHEN NEW.name IS NOT NULL AND (OLD.name IS NOT NEW.name OR OLD.fingerprint IS NOT NEW.fingerprint
                                               OR OLD.status IS NOT NEW.status) BEGIN \(replan) END;
                CREATE TRIGGER renewalScheduleCertificateUnnamed AFTER UPDATE OF name ON managedCertificate
                WHEN OLD.name IS NOT NULL AND OLD.name IS NOT NEW.name BEGIN
                  UPDATE renewalSchedule SET nextAttemptAt = '\(replanMarker)', updatedAt = \(now) WHERE lineage = OLD.name;
                END;
                CREATE TRIGGER renewalScheduleCertificateRemoved AFTER DELETE ON managedCertificate
                WHEN OLD.name IS NOT NULL BEGIN
                  UPDATE renewalSchedule SET nextAttemptAt = '\(replanMarker)', updatedAt = \(now) WHERE lineage = OLD.name;
                END;
                """)
        }
    }
}

extension SQLiteInventory {
    public func renewalDefaults() throws -> RenewalDefaults {
        try read { db in
            try RenewalDefaults.fetchOne(db, key: 1) ?? RenewalDefaults(renewBeforeDays: nil, autoDeploy: true, updatedAt: Date())
        }
    }

    /// Changes the gateway default; `renewBeforeDays` .some(nil) returns to the lifetime rule. Lineages
    /// following the default are re-planned.
    public func setRenewalDefaults(renewBeforeDays: Int??, autoDeploy: Bool?) throws -> RenewalDefaults {
        try write { db in
            var defaults = try RenewalDefaults.fetchOne(db, key: 1) ?? RenewalDefaults(renewBeforeDays: nil, autoDeploy: true, updatedAt: Date())
            if let renewBeforeDays { defaults.renewBeforeDays = renewBeforeDays }
            if let autoDeploy { defaults.autoDeploy = autoDeploy }
            defaults.updatedAt = Date()
            try defaults.save(db)
            if renewBeforeDays != nil {
                try db.execute(sql: "UPDATE renewalSchedule SET nextAttemptAt = ?, updatedAt = ? WHERE renewBeforeDays IS NULL",
                               arguments: [RenewalScheduleRecord.replanDate, Date()])
            }
            return defaults
        }
    }

    public func renewalSchedule(lineage: String) throws -> RenewalScheduleRecord? {
        try read { try RenewalScheduleRecord.fetchOne($0, key: lineage) }
    }

    /// Every lineage's schedule, soonest first (nothing to do last).
    public func renewalSchedules() throws -> [RenewalScheduleRecord] {
        try read { db in
            try RenewalScheduleRecord.order(Column("nextAttemptAt") == nil, Column("nextAttemptAt"), Column("lineage")).fetchAll(db)
        }
    }

    /// Lineages whose next attempt is at or before `now` and that nobody is renewing, soonest first: the indexed due query.
    public func dueRenewals(at now: Date, limit: Int) throws -> [RenewalScheduleRecord] {
        try read { db in
            try RenewalScheduleRecord.fetchAll(db, sql: """
                SELECT * FROM renewalSchedule INDEXED BY renewalSchedule_on_nextAttemptAt
                WHERE nextAttemptAt <= ? AND (claimExpiresAt IS NULL OR claimExpiresAt <= ?)
                ORDER BY nextAttemptAt LIMIT ?
                """, arguments: [now, now, max(limit, 0)])
        }
    }

    /// The next `limit` lineages with something to do, soonest first (for status displays).
    public func nextRenewals(limit: Int) throws -> [RenewalScheduleRecord] {
        try read { db in
            try RenewalScheduleRecord.fetchAll(db, sql: """
                SELECT * FROM renewalSchedule INDEXED BY renewalSchedule_on_nextAttemptAt
                WHERE nextAttemptAt IS NOT NULL ORDER BY nextAttemptAt LIMIT ?
                """, arguments: [max(limit, 0)])
        }
    }

    /// Lineages already due whose next attempt waits: a backoff, or the operator (manual issuer).
    public func waitingRenewals(at now: Date, limit: Int) throws -> [RenewalScheduleRecord] {
        try read { db in
            try RenewalScheduleRecord.fetchAll(db, sql: """
                SELECT * FROM renewalSchedule INDEXED BY renewalSchedule_on_dueAt
                WHERE dueAt <= ? AND (nextAttemptAt IS NULL OR nextAttemptAt > ?)
                ORDER BY dueAt LIMIT ?
                """, arguments: [now, now, max(limit, 0)])
        }
    }

    /// How many lineages are planned and not due at `now` (an index-only count).
    public func notDueRenewalCount(at now: Date) throws -> Int {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM renewalSchedule WHERE nextAttemptAt > ?", arguments: [now]) ?? 0
        }
    }

    /// Creates the lineage's row if there is none (to be planned), and returns it.
    @discardableResult
    public func ensureRenewalSchedule(lineage: String) throws -> RenewalScheduleRecord {
        try RecordValidation.name(lineage, field: "certificate name")
        return try write { db in
            if let existing = try RenewalScheduleRecord.fetchOne(db, key: lineage) { return existing }
            let record = RenewalScheduleRecord(lineage: lineage)
            try record.insert(db)
            return record
        }
    }

    /// Changes a lineage's policy (only the given parts; `.some(nil)` returns one to the default) and marks it
    /// for re-planning. The row is created if needed.
    @discardableResult
    public func setRenewalPolicy(lineage: String, renewBeforeDays: Int??, autoDeploy: Bool??,
                                 issuerName: String??) throws -> RenewalScheduleRecord {
        try RecordValidation.name(lineage, field: "certificate name")
        return try write { db in
            var record = try RenewalScheduleRecord.fetchOne(db, key: lineage) ?? RenewalScheduleRecord(lineage: lineage)
            if let renewBeforeDays { record.renewBeforeDays = renewBeforeDays }
            if let autoDeploy { record.autoDeploy = autoDeploy }
            if let issuerName {
                if record.issuerName != issuerName {
                    // The names, key and challenge settings stay (another CA can repeat them); the failures of the
                    // previous issuer do not carry over.
                    record.failures = 0
                    record.backoffUntil = nil
                    record.errorClass = nil
                }
                record.issuerName = issuerName
            }
            record.nextAttemptAt = RenewalScheduleRecord.replanDate
            record.updatedAt = Date()
            try record.save(db)
            return record
        }
    }

    /// Records the issuer and the settings a certificate was issued with, so a renewal repeats them.
    @discardableResult
    public func recordIssuanceSettings(lineage: String, issuerName: String, settings: [String: String]) throws
        -> RenewalScheduleRecord {
        try RecordValidation.name(lineage, field: "certificate name")
        return try write { db in
            var record = try RenewalScheduleRecord.fetchOne(db, key: lineage) ?? RenewalScheduleRecord(lineage: lineage)
            record.issuerName = issuerName
            record.setSettings(settings)
            record.updatedAt = Date()
            try record.save(db)
            return record
        }
    }

    /// Takes `lineage` for renewing until `now + duration`, unless another holder's claim is still live. Nil when busy.
    public func claimRenewal(lineage: String, owner: String, duration: TimeInterval, now: Date) throws -> RenewalClaim? {
        try write { db in
            let token = UUID().uuidString.lowercased()
            let expiresAt = now.addingTimeInterval(duration)
            try db.execute(sql: """
                UPDATE renewalSchedule SET claimedBy = ?, claimToken = ?, claimExpiresAt = ?
                WHERE lineage = ? AND (claimExpiresAt IS NULL OR claimExpiresAt <= ?)
                """, arguments: [owner, token, expiresAt, lineage, now])
            guard db.changesCount == 1 else { return nil }
            // Read back: what callers compare is what the database holds (dates to the millisecond).
            let stored = try Date.fetchOne(db, sql: "SELECT claimExpiresAt FROM renewalSchedule WHERE lineage = ?",
                                           arguments: [lineage]) ?? expiresAt
            return RenewalClaim(lineage: lineage, token: token, owner: owner, expiresAt: stored)
        }
    }

    /// Extends a live claim; nil when it was lost (expired and taken by another holder, or released).
    public func renewRenewalClaim(_ claim: RenewalClaim, duration: TimeInterval, now: Date) throws -> RenewalClaim? {
        try write { db in
            let expiresAt = now.addingTimeInterval(duration)
            try db.execute(sql: "UPDATE renewalSchedule SET claimExpiresAt = ? WHERE lineage = ? AND claimToken = ?",
                           arguments: [expiresAt, claim.lineage, claim.token])
            guard db.changesCount == 1 else { return nil }
            var renewed = claim
            renewed.expiresAt = try Date.fetchOne(db, sql: "SELECT claimExpiresAt FROM renewalSchedule WHERE lineage = ?",
                                                  arguments: [claim.lineage]) ?? expiresAt
            return renewed
        }
    }

    /// Gives the lineage back; does nothing when the claim was already lost.
    public func releaseRenewalClaim(_ claim: RenewalClaim) throws {
        try write { db in
            try db.execute(sql: """
                UPDATE renewalSchedule SET claimedBy = NULL, claimToken = NULL, claimExpiresAt = NULL
                WHERE lineage = ? AND claimToken = ?
                """, arguments: [claim.lineage, claim.token])
        }
    }

    /// Changes the claimed row through `change` (which sees the stored row) and returns it as stored.
    /// Refused (`InventoryError.renewalClaimLost`) when `claim` no longer holds the lineage.
    @discardableResult
    public func updateRenewalSchedule(_ claim: RenewalClaim, _ change: (inout RenewalScheduleRecord) throws -> Void) throws
        -> RenewalScheduleRecord {
        try write { db in
            guard var record = try RenewalScheduleRecord.fetchOne(db, key: claim.lineage), record.claimToken == claim.token else {
                throw InventoryError.renewalClaimLost(lineage: claim.lineage)
            }
            try change(&record)
            record.lineage = claim.lineage
            record.claimToken = claim.token
            record.updatedAt = Date()
            try record.update(db)
            return record
        }
    }

    /// Removes the lineage's schedule (its certificate is gone); only by the claim's holder.
    public func removeRenewalSchedule(_ claim: RenewalClaim) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM renewalSchedule WHERE lineage = ? AND claimToken = ?",
                           arguments: [claim.lineage, claim.token])
        }
    }
}
