import Foundation
import GRDB

extension InstallJournalEntry: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "installJournal"

    /// Unfinished entries (of one endpoint, or all), oldest first.
    static func unfinished(forEndpoint endpointID: String? = nil) -> QueryInterfaceRequest<InstallJournalEntry> {
        var request = InstallJournalEntry.filter(Column("finishedAt") == nil)
        if let endpointID { request = request.filter(Column("endpointID") == endpointID) }
        return request.order(Column("startedAt"), Column("jobID"))
    }

    /// The columns, in the order `row(_:)` reads them and `store` writes them.
    static let columnList = "jobID, endpointID, state, payload, startedAt, updatedAt, finishedAt, ownerGatewayID, ownerPID, "
        + "ownerHost, leaseExpiresAt, fencingToken"

    /// The entry of job `jobID`, through a kept statement read column by
    /// column: every job step reads its entry back, and GRDB's Codable
    /// decoding and date decoding cost far more than the read (see `DatabaseDate`).
    static func fetch(_ db: Database, jobID: String) throws -> InstallJournalEntry? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columnList) FROM installJournal WHERE jobID = ?"), arguments: [jobID])
            .map(entry)
    }

    /// The entries `clauses` (a WHERE and ORDER BY) select, through a kept statement.
    static func fetchAll(_ db: Database, clauses: String, arguments: StatementArguments) throws -> [InstallJournalEntry] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT \(columnList) FROM installJournal \(clauses)"), arguments: arguments)
            .map(entry)
    }

    private static func entry(_ row: Row) throws -> InstallJournalEntry {
        InstallJournalEntry(jobID: try row.decode(atIndex: 0), endpointID: try row.decode(atIndex: 1), state: try row.decode(atIndex: 2),
                            payload: try row.decode(atIndex: 3), startedAt: try DatabaseDate.decode(row, atIndex: 4),
                            updatedAt: try DatabaseDate.decode(row, atIndex: 5), finishedAt: try DatabaseDate.decodeIfPresent(row, atIndex: 6),
                            ownerGatewayID: try row.decode(atIndex: 7), ownerPID: try row.decode(atIndex: 8),
                            ownerHost: try row.decode(atIndex: 9), leaseExpiresAt: try DatabaseDate.decodeIfPresent(row, atIndex: 10),
                            fencingToken: try row.decode(atIndex: 11))
    }

    /// Writes the entry as a new row (`insert`) or over the row of its job,
    /// every column, as `insert` and `update` would: through kept statements,
    /// with dates written by `DatabaseDate`.
    func store(_ db: Database, insert: Bool) throws {
        let values: [DatabaseValue] = [jobID.databaseValue, endpointID.databaseValue, state.databaseValue, payload.databaseValue,
                                       DatabaseDate.value(startedAt), DatabaseDate.value(updatedAt), DatabaseDate.value(finishedAt),
                                       ownerGatewayID.databaseValue, ownerPID.databaseValue, ownerHost.databaseValue,
                                       DatabaseDate.value(leaseExpiresAt), fencingToken.databaseValue]
        if insert {
            try db.executeCached("INSERT INTO installJournal (\(Self.columnList)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 StatementArguments(values))
        } else {
            try db.executeCached("UPDATE installJournal SET endpointID = ?, state = ?, payload = ?, startedAt = ?, updatedAt = ?, "
                                 + "finishedAt = ?, ownerGatewayID = ?, ownerPID = ?, ownerHost = ?, leaseExpiresAt = ?, "
                                 + "fencingToken = ? WHERE jobID = ?", StatementArguments(Array(values.dropFirst()) + [values[0]]))
            guard db.changesCount == 1 else { throw RecordError.recordNotFound(databaseTableName: Self.databaseTableName, key: ["jobID": jobID.databaseValue]) }
        }
    }
}

extension SQLiteInventory {
    /// Records the start of install job `lease.jobID` on the endpoint `lease` holds.
    @discardableResult
    public func beginInstall(lease: EndpointLease, state: InstallJournalState, payload: String) throws -> InstallJournalEntry {
        try RecordValidation.json(payload, field: "install payload")
        return try write { db in
            try Self.requireHeld(lease, db)
            guard try !InstallJournalEntry.exists(db, where: "jobID", equals: lease.jobID) else {
                throw InventoryError.installJobIDTaken(lease.jobID)
            }
            let now = Date()
            let entry = InstallJournalEntry(jobID: lease.jobID, endpointID: lease.endpointID, state: state.rawValue,
                                            payload: payload, startedAt: now, updatedAt: now,
                                            finishedAt: state.isFinal ? now : nil,
                                            ownerGatewayID: lease.owner.gatewayID, ownerPID: lease.owner.pid,
                                            ownerHost: lease.owner.host, leaseExpiresAt: lease.expiresAt,
                                            fencingToken: lease.fencingToken)
            try entry.store(db, insert: true)
            return try InstallJournalEntry.fetch(db, jobID: lease.jobID)!
        }
    }

    /// Moves unfinished job `jobID` to `state` (closing it when the state is
    /// final), replacing its payload when one is given. Refused unless `lease`
    /// still holds the endpoint and the entry was last written under it.
    /// `recording` (where a managed certificate went) is written in the same
    /// transaction, so the journal state and the inventory never disagree.
    @discardableResult
    public func updateInstall(jobID: String, lease: EndpointLease, state: InstallJournalState,
                              payload: String?, recordings: [InstallationRecording]) throws -> InstallJournalEntry {
        if let payload { try RecordValidation.json(payload, field: "install payload") }
        for recording in recordings { try recording.validate() }
        return try write { db in
            try Self.requireHeld(lease, db)
            guard var entry = try InstallJournalEntry.fetch(db, jobID: jobID) else {
                throw InventoryError.installJobNotFound(jobID)
            }
            guard !entry.isFinished else { throw InventoryError.installJobFinished(jobID) }
            guard entry.fencingToken == lease.fencingToken, entry.endpointID == lease.endpointID else {
                throw InventoryError.fenced(jobID: jobID, token: lease.fencingToken, current: entry.fencingToken)
            }
            entry.updatedAt = Date()
            entry.state = state.rawValue
            if let payload { entry.payload = payload }
            entry.leaseExpiresAt = lease.expiresAt
            if state.isFinal { entry.finishedAt = entry.updatedAt }
            try entry.store(db, insert: false)
            for recording in recordings { try Self.record(recording, db) }
            return try InstallJournalEntry.fetch(db, jobID: jobID)!
        }
    }

    /// Takes over an interrupted job for recovery: only an unfinished entry
    /// of the endpoint `lease` holds, whose own lease has expired. The entry
    /// is then owned by the recovering job and written under its token.
    @discardableResult
    public func takeOverInstall(jobID: String, lease: EndpointLease) throws -> InstallJournalEntry {
        try write { db in
            try Self.requireHeld(lease, db)
            guard var entry = try InstallJournalEntry.fetch(db, jobID: jobID) else {
                throw InventoryError.installJobNotFound(jobID)
            }
            guard !entry.isFinished else { throw InventoryError.installJobFinished(jobID) }
            guard entry.endpointID == lease.endpointID, entry.leaseExpired() else {
                throw InventoryError.installJobLeased(jobID: jobID, owner: entry.owner, until: entry.leaseExpiresAt ?? Date())
            }
            entry.ownerGatewayID = lease.owner.gatewayID
            entry.ownerPID = lease.owner.pid
            entry.ownerHost = lease.owner.host
            entry.fencingToken = lease.fencingToken
            entry.leaseExpiresAt = lease.expiresAt
            entry.updatedAt = Date()
            try entry.store(db, insert: false)
            return try InstallJournalEntry.fetch(db, jobID: jobID)!
        }
    }

    public func installJob(_ jobID: String) throws -> InstallJournalEntry? {
        try read { try InstallJournalEntry.fetch($0, jobID: jobID) }
    }

    /// Jobs begun and never finished, oldest first: what recovery must look at.
    public func unfinishedInstalls(endpointID: String?) throws -> [InstallJournalEntry] {
        try read { db in
            // Every job asks this first (recovery), so through a kept statement; the same rows as `unfinished(forEndpoint:)`.
            guard let endpointID else { return try InstallJournalEntry.unfinished().fetchAll(db) }
            return try InstallJournalEntry.fetchAll(db, clauses: "WHERE finishedAt IS NULL AND endpointID = ? ORDER BY startedAt, jobID",
                                                    arguments: [endpointID] as StatementArguments)
        }
    }
}
