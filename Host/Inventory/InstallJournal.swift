import Foundation
import GRDB

/// One install job's progress, written before and after each step so that an
/// og-host that crashed mid-install can find the job and restore its backups.
public struct InstallJournalEntry: Codable, Equatable, Sendable {
    public var jobID: String
    public var endpointID: String
    /// The installer's own name for the step reached (`planned`, `backed-up`, `applied`, ...).
    public var state: String
    /// JSON the installer needs to resume or roll back: backups taken and steps applied.
    public var payload: String
    public internal(set) var startedAt: Date
    public internal(set) var updatedAt: Date
    /// Nil while the job is unfinished.
    public internal(set) var finishedAt: Date?

    public var isFinished: Bool { finishedAt != nil }

    static func unfinished(forEndpoint endpointID: String? = nil) -> QueryInterfaceRequest<InstallJournalEntry> {
        var request = InstallJournalEntry.filter(Column("finishedAt") == nil)
        if let endpointID { request = request.filter(Column("endpointID") == endpointID) }
        return request.order(Column("startedAt"), Column("jobID"))
    }
}

extension InstallJournalEntry: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "installJournal"
}

extension Inventory {
    /// Records the start of install job `jobID` on `endpointID`.
    @discardableResult
    public func beginInstall(jobID: String = UUID().uuidString.lowercased(), endpointID: String, state: String,
                             payload: String) throws -> InstallJournalEntry {
        try RecordValidation.nonEmpty(jobID, field: "install job ID")
        try RecordValidation.nonEmpty(state, field: "install state")
        try RecordValidation.json(payload, field: "install payload")
        return try write { db in
            guard try EndpointRecord.exists(db, key: endpointID) else {
                throw InventoryError.endpointNotFound(endpointID)
            }
            guard try !InstallJournalEntry.exists(db, key: jobID) else {
                throw InventoryError.installJobIDTaken(jobID)
            }
            let now = Date()
            let entry = InstallJournalEntry(jobID: jobID, endpointID: endpointID, state: state, payload: payload,
                                            startedAt: now, updatedAt: now, finishedAt: nil)
            try entry.insert(db)
            return try InstallJournalEntry.fetchOne(db, key: jobID)!
        }
    }

    /// Moves unfinished job `jobID` to `state`, replacing its payload.
    @discardableResult
    public func updateInstall(jobID: String, state: String, payload: String) throws -> InstallJournalEntry {
        try RecordValidation.nonEmpty(state, field: "install state")
        try RecordValidation.json(payload, field: "install payload")
        return try changeUnfinishedInstall(jobID) { entry in
            entry.state = state
            entry.payload = payload
        }
    }

    /// Marks job `jobID` finished in `state` (`installed`, `rolled-back`, ...).
    @discardableResult
    public func finishInstall(jobID: String, state: String) throws -> InstallJournalEntry {
        try RecordValidation.nonEmpty(state, field: "install state")
        return try changeUnfinishedInstall(jobID) { entry in
            entry.state = state
            entry.finishedAt = entry.updatedAt
        }
    }

    public func installJob(_ jobID: String) throws -> InstallJournalEntry? {
        try read { try InstallJournalEntry.fetchOne($0, key: jobID) }
    }

    /// Jobs begun and never finished, oldest first: what recovery must look at.
    public func unfinishedInstalls() throws -> [InstallJournalEntry] {
        try read { try InstallJournalEntry.unfinished().fetchAll($0) }
    }

    private func changeUnfinishedInstall(_ jobID: String,
                                         _ change: (inout InstallJournalEntry) -> Void) throws -> InstallJournalEntry {
        try write { db in
            guard var entry = try InstallJournalEntry.fetchOne(db, key: jobID) else {
                throw InventoryError.installJobNotFound(jobID)
            }
            guard !entry.isFinished else { throw InventoryError.installJobFinished(jobID) }
            entry.updatedAt = Date()
            change(&entry)
            try entry.update(db)
            return try InstallJournalEntry.fetchOne(db, key: jobID)!
        }
    }
}
