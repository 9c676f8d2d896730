import Foundation
import GRDB

extension BindingDeployState: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "bindingDeploy"
}

/// Owed deploys (`BindingDeployState`): one row per binding, going with it (foreign key, cascade).
enum BindingDeploySchema {
    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("binding-deploy-state") { db in
            try db.create(table: "bindingDeploy") { table in
                table.column("lineage", .text).notNull()
                table.column("endpointID", .text).notNull()
                table.column("node", .text).notNull()
                // The version that was to be deployed when the row was written; a retry deploys the current one.
                table.column("certificateID", .text).notNull()
                table.column("state", .text).notNull()
                table.column("attempts", .integer).notNull().defaults(to: 0)
                table.column("errorClass", .text)
                table.column("category", .text)
                table.column("lastError", .text)
                table.column("lastAttemptAt", .datetime)
                // The retry scheduler reads only this (indexed).
                table.column("nextAttemptAt", .datetime).notNull().indexed()
                table.column("createdAt", .datetime).notNull()
                table.column("updatedAt", .datetime).notNull()
                table.primaryKey(["lineage", "endpointID", "node"])
                table.foreignKey(["lineage", "endpointID", "node"], references: "certificateBinding", onDelete: .cascade)
            }
        }
    }

    /// The deploy duty's "next due" query reads claimed lineages through this index instead of the whole
    /// owed table joined to the schedule (a MIN over every row). Only live or stale claims are in it.
    static func registerDueIndex(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("deploy-due-claims") { db in
            try db.create(index: "renewalSchedule_on_claimExpiresAt", on: "renewalSchedule",
                          columns: ["claimExpiresAt"], condition: Column("claimExpiresAt") != nil)
        }
    }
}

extension SQLiteInventory {
    /// Records that every binding of `lineage` (or those on `endpointIDs`) owes a deploy of `certificateID`,
    /// due at `now`. A binding already owing that version keeps its attempts and backoff; one owing an older
    /// version starts again. Returns the rows as stored.
    @discardableResult
    public func markDeployPending(lineage: String, certificateID: String, endpointIDs: [String]?,
                                  at now: Date) throws -> [BindingDeployState] {
        try write { db in
            var bindings = try CertificateBinding.filter(Column("lineage") == lineage).fetchAll(db)
            if let endpointIDs { bindings = bindings.filter { endpointIDs.contains($0.endpointID) } }
            return try bindings.map { binding in
                let key: [String: (any DatabaseValueConvertible)?] = ["lineage": lineage, "endpointID": binding.endpointID,
                                                                      "node": binding.node]
                if let existing = try BindingDeployState.fetchOne(db, key: key), existing.certificateID == certificateID {
                    return existing
                }
                let row = BindingDeployState(lineage: lineage, endpointID: binding.endpointID, node: binding.node,
                                             certificateID: certificateID, state: .pending, nextAttemptAt: now,
                                             createdAt: now, updatedAt: now)
                try row.save(db)
                return row
            }
        }
    }

    /// Forgets owed deploys of `certificateID` to `lineage` that were never attempted (a renewal that wrote them
    /// before issuing and then failed: the current version did not change, so nothing is owed).
    public func clearUntriedDeploys(lineage: String, certificateID: String) throws {
        try write { db in
            try db.execute(sql: """
                DELETE FROM bindingDeploy WHERE lineage = ? AND certificateID = ? AND state = 'pending' AND attempts = 0
                """, arguments: [lineage, certificateID])
        }
    }

    /// The deploy to `endpointID` reached it (installed, or already there): nothing is owed there any more.
    public func recordDeploySucceeded(lineage: String, endpointID: String) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM bindingDeploy WHERE lineage = ? AND endpointID = ?",
                           arguments: [lineage, endpointID])
        }
    }

    /// The deploy to `endpointID` failed: its owed rows (only those; a deploy nobody owed records nothing)
    /// count the attempt and wait until `retryAt(attempts)`. Returns the rows as stored.
    @discardableResult
    public func recordDeployFailed(lineage: String, endpointID: String, errorClass: String, category: String,
                                   message: String, at now: Date, retryAt: (Int) -> Date) throws -> [BindingDeployState] {
        try write { db in
            let rows = try BindingDeployState.filter(Column("lineage") == lineage && Column("endpointID") == endpointID)
                .fetchAll(db)
            return try rows.map { stored in
                var row = stored
                row.state = .failed
                row.attempts += 1
                row.errorClass = errorClass
                row.category = category
                row.lastError = message
                row.lastAttemptAt = now
                row.nextAttemptAt = retryAt(row.attempts)
                row.updatedAt = now
                try row.update(db)
                return row
            }
        }
    }

    /// Owed deploys whose next attempt has come, soonest first, leaving out lineages a live renewal claim holds
    /// (that renewal deploys them itself).
    public func dueDeploys(at now: Date, limit: Int) throws -> [BindingDeployState] {
        try read { db in
            try BindingDeployState.fetchAll(db, sql: """
                SELECT d.* FROM bindingDeploy d INDEXED BY bindingDeploy_on_nextAttemptAt
                LEFT JOIN renewalSchedule r ON r.lineage = d.lineage
                WHERE d.nextAttemptAt <= ? AND (r.claimExpiresAt IS NULL OR r.claimExpiresAt <= ?)
                ORDER BY d.nextAttemptAt LIMIT ?
                """, arguments: [now, now, max(limit, 0)])
        }
    }

    /// When the next owed deploy may be tried (after any renewal claim on its lineage), if one is owed.
    public func nextDeployAttempt() throws -> Date? {
        try read { db in
            let unheld = try Date.fetchOne(db, sql: Self.nextUnheldDeployQuery)
            let held = try Date.fetchOne(db, sql: Self.nextHeldDeployQuery)
            return [unheld, held].compactMap { $0 }.min()
        }
    }

    /// The soonest owed deploy no renewal claim outlasts: the first such row along the `nextAttemptAt` index
    /// (ordered, one row); rows a claim outlasts are skipped, and claims are few and short.
    static let nextUnheldDeployQuery = """
        SELECT d.nextAttemptAt FROM bindingDeploy d INDEXED BY bindingDeploy_on_nextAttemptAt
        LEFT JOIN renewalSchedule r ON r.lineage = d.lineage
        WHERE r.claimExpiresAt IS NULL OR r.claimExpiresAt <= d.nextAttemptAt
        ORDER BY d.nextAttemptAt LIMIT 1
        """

    /// The soonest end of a renewal claim that outlasts an owed deploy of its lineage: along the partial index of
    /// claimed lineages (migration `deploy-due-claims`), each looked up by the owed table's key.
    static let nextHeldDeployQuery = """
        SELECT r.claimExpiresAt FROM renewalSchedule r INDEXED BY renewalSchedule_on_claimExpiresAt
        JOIN bindingDeploy d ON d.lineage = r.lineage
        WHERE r.claimExpiresAt IS NOT NULL AND r.claimExpiresAt > d.nextAttemptAt
        ORDER BY r.claimExpiresAt LIMIT 1
        """

    /// Owed deploys of `lineage` (every lineage when nil), by lineage, endpoint and node.
    public func deployStates(lineage: String?, limit: Int) throws -> [BindingDeployState] {
        try read { db in
            var request = BindingDeployState.all()
            if let lineage { request = request.filter(Column("lineage") == lineage) }
            return try request.order(Column("lineage"), Column("endpointID"), Column("node")).limit(max(limit, 0)).fetchAll(db)
        }
    }

    /// How many bindings owe a deploy.
    public func deployStateCount() throws -> Int {
        try read { db in try BindingDeployState.fetchCount(db) }
    }
}
