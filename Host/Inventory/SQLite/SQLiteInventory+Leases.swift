import Foundation
import GRDB

/// One row per endpoint that ever ran a job; `jobID` is NULL while nobody holds it.
struct EndpointLeaseRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "endpointLease"
    var endpointID: String
    var jobID: String?
    var kind: String
    var ownerGatewayID: String
    var ownerPID: Int32
    var ownerHost: String
    var acquiredAt: Date
    var expiresAt: Date
    var fencingToken: Int64

    /// The row of `endpointID`, read through a kept statement column by
    /// column (every journal write checks it; GRDB's Codable decoding and its
    /// date decoding cost far more than the read).
    static func fetch(_ db: Database, endpointID: String) throws -> EndpointLeaseRow? {
        let sql = "SELECT endpointID, jobID, kind, ownerGatewayID, ownerPID, ownerHost, acquiredAt, expiresAt, fencingToken "
            + "FROM endpointLease WHERE endpointID = ?"
        guard let row = try Row.fetchOne(db.cachedStatement(sql: sql), arguments: [endpointID]) else { return nil }
        return EndpointLeaseRow(endpointID: try row.decode(atIndex: 0), jobID: try row.decode(atIndex: 1), kind: try row.decode(atIndex: 2),
                                ownerGatewayID: try row.decode(atIndex: 3), ownerPID: try row.decode(atIndex: 4),
                                ownerHost: try row.decode(atIndex: 5), acquiredAt: try DatabaseDate.decode(row, atIndex: 6),
                                expiresAt: try DatabaseDate.decode(row, atIndex: 7), fencingToken: try row.decode(atIndex: 8))
    }

    /// Writes this row in place of the endpoint's (`exists`: whether it has
    /// one, read in the same transaction), as `save` would: an UPDATE of the
    /// existing row or an INSERT, through kept statements and with dates
    /// written by `DatabaseDate`.
    func store(_ db: Database, exists: Bool) throws {
        let values: [DatabaseValue] = [jobID.databaseValue, kind.databaseValue, ownerGatewayID.databaseValue,
                                       ownerPID.databaseValue, ownerHost.databaseValue, DatabaseDate.value(acquiredAt),
                                       DatabaseDate.value(expiresAt), fencingToken.databaseValue, endpointID.databaseValue]
        if exists {
            try db.executeCached("UPDATE endpointLease SET jobID = ?, kind = ?, ownerGatewayID = ?, ownerPID = ?, ownerHost = ?, "
                                 + "acquiredAt = ?, expiresAt = ?, fencingToken = ? WHERE endpointID = ?", StatementArguments(values))
        } else {
            try db.executeCached("INSERT INTO endpointLease (jobID, kind, ownerGatewayID, ownerPID, ownerHost, acquiredAt, "
                                 + "expiresAt, fencingToken, endpointID) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", StatementArguments(values))
        }
    }

    var lease: EndpointLease? {
        guard let jobID else { return nil }
        return EndpointLease(endpointID: endpointID, jobID: jobID, kind: kind,
                             owner: JobOwner(gatewayID: ownerGatewayID, pid: ownerPID, host: ownerHost),
                             acquiredAt: acquiredAt, expiresAt: expiresAt, fencingToken: fencingToken)
    }
}

extension SQLiteInventory {
    /// This data directory's gateway ID, created by the migration that introduced it.
    public func gatewayID() throws -> String {
        try read { db in
            guard let id = try String.fetchOne(db, sql: "SELECT id FROM gatewayIdentity LIMIT 1") else {
                throw InventoryError.database(path: path, message: "the gateway identity is missing; restore the inventory from a backup")
            }
            return id
        }
    }

    /// Takes endpoint `endpointID` for job `jobID` for `duration`, unless
    /// another job holds a lease that has not expired.
    public func acquireEndpointLease(endpointID: String, jobID: String, kind: String, owner: JobOwner,
                                     duration: TimeInterval) throws -> LeaseAcquisition {
        try RecordValidation.nonEmpty(jobID, field: "job ID")
        return try write { db in
            guard try EndpointRecord.exists(db, where: "id", equals: endpointID) else { throw InventoryError.endpointNotFound(endpointID) }
            let now = Date()
            let existing = try EndpointLeaseRow.fetch(db, endpointID: endpointID)
            if let held = existing?.lease, held.expiresAt > now { return .busy(held) }
            let row = EndpointLeaseRow(endpointID: endpointID, jobID: jobID, kind: kind, ownerGatewayID: owner.gatewayID,
                                       ownerPID: owner.pid, ownerHost: owner.host, acquiredAt: now,
                                       expiresAt: now.addingTimeInterval(duration),
                                       fencingToken: (existing?.fencingToken ?? 0) + 1)
            try row.store(db, exists: existing != nil)
            // Read back: what callers compare is what the database holds (dates to the millisecond).
            return .acquired(try EndpointLeaseRow.fetch(db, endpointID: endpointID)!.lease!,
                             tookOverFrom: existing?.lease)
        }
    }

    /// Extends `lease` by `duration` from now, and the lease of the journal
    /// entries it owns. Refused (`InventoryError.fenced`) when another job
    /// took the endpoint meanwhile.
    public func renewEndpointLease(_ lease: EndpointLease, duration: TimeInterval) throws -> EndpointLease {
        try write { db in
            try Self.requireHeld(lease, db)
            let expiresAt = Date().addingTimeInterval(duration)
            try db.executeCached("UPDATE endpointLease SET expiresAt = ? WHERE endpointID = ?", [DatabaseDate.value(expiresAt), lease.endpointID])
            try db.executeCached("UPDATE installJournal SET leaseExpiresAt = ? WHERE endpointID = ? AND fencingToken = ? AND finishedAt IS NULL",
                                 [DatabaseDate.value(expiresAt), lease.endpointID, lease.fencingToken])
            return try EndpointLeaseRow.fetch(db, endpointID: lease.endpointID)!.lease!
        }
    }

    /// Gives the endpoint back. Journal entries the job leaves unfinished (a
    /// rollback that could not complete) are handed back too: their lease
    /// ends now, so the next job recovers them at once. Releasing a lease
    /// that was already taken over does nothing.
    public func releaseEndpointLease(_ lease: EndpointLease) throws {
        try write { db in
            guard (try? Self.requireHeld(lease, db)) != nil else { return }
            try db.executeCached("UPDATE endpointLease SET jobID = NULL WHERE endpointID = ?", [lease.endpointID])
            try db.executeCached("UPDATE installJournal SET leaseExpiresAt = NULL WHERE endpointID = ? AND fencingToken = ? AND finishedAt IS NULL",
                                 [lease.endpointID, lease.fencingToken])
        }
    }

    /// Ends the lease `owner` holds on `endpointID` and hands back the
    /// unfinished journal entries it owns there, so recovery can start at once
    /// instead of waiting for the lease to run out. Only for a caller that
    /// knows the owner's process is gone — its parent, which reaped it — never
    /// on a guess. Says whether there was anything to release.
    @discardableResult
    public func releaseLeases(ofDeadOwner owner: JobOwner, endpointID: String) throws -> Bool {
        try write { db in
            let ownerMatch = "ownerGatewayID = ? AND ownerPID = ? AND ownerHost = ?"
            let arguments: StatementArguments = [endpointID, owner.gatewayID, owner.pid, owner.host]
            try db.execute(sql: "UPDATE endpointLease SET jobID = NULL WHERE endpointID = ? AND jobID IS NOT NULL AND \(ownerMatch)",
                           arguments: arguments)
            let leases = db.changesCount
            try db.execute(sql: "UPDATE installJournal SET leaseExpiresAt = NULL WHERE endpointID = ? AND finishedAt IS NULL AND \(ownerMatch)",
                           arguments: arguments)
            return leases + db.changesCount > 0
        }
    }

    /// The live lease on `endpointID`, if a job holds one.
    public func endpointLease(_ endpointID: String) throws -> EndpointLease? {
        try read { db in
            guard let lease = try EndpointLeaseRow.fetch(db, endpointID: endpointID)?.lease,
                  lease.expiresAt > Date() else { return nil }
            return lease
        }
    }

    /// Refuses a write from a job whose lease on the endpoint is gone.
    static func requireHeld(_ lease: EndpointLease, _ db: Database) throws {
        let row = try EndpointLeaseRow.fetch(db, endpointID: lease.endpointID)
        guard let row, row.jobID == lease.jobID, row.fencingToken == lease.fencingToken else {
            throw InventoryError.fenced(jobID: lease.jobID, token: lease.fencingToken, current: row?.fencingToken ?? 0)
        }
    }
}
