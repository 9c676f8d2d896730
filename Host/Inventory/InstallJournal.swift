import Foundation

/// Where an install job got to, and so exactly what recovery does with it.
/// Every state names one recovery action; a job is never left in a state
/// whose recovery could break a working endpoint. In every unfinished state
/// recovery also removes the temporaries an atomic write killed midway left
/// beside the job's files and backups (`.<name>.og-tmp-*`); a temporary it
/// cannot remove keeps the job open. `FaultInjectionHarnessTests` kills an
/// install at every step on real nginx to prove each state's recovery.
public enum InstallJournalState: String, Codable, Sendable, CaseIterable {
    /// Backups are being taken; no endpoint file was changed yet.
    /// Recovery: remove any backup that was completely written; touch nothing else.
    case backingUp = "backing-up"
    /// Files are being written. Recovery: restore each file from its backup,
    /// remove files the job created, re-activate.
    case writing
    /// Every file is written; config test, activation and verification follow.
    /// Recovery: as for `writing`.
    case written
    /// The new certificate was verified as served and recorded; only the
    /// backups remain to be removed. Recovery rolls *forward*: it removes the
    /// backups and never restores, since the endpoint works with the new files.
    case verified
    /// An API install (ABI 1.1) is being applied; the plugin journals its undo
    /// token before its first change. Recovery: `rollback_install` with the
    /// journalled token; without one the plugin changed nothing.
    case applying
    /// The API install was applied; verification follows. Recovery: as for `applying`.
    case applied
    /// A rollback could not restore every file. Recovery: as for `writing`
    /// (files already restored have no backup left and are skipped).
    case rollbackIncomplete = "rollback-incomplete"
    /// Finished states: nothing for recovery to do.
    case succeeded
    case rolledBack = "rolled-back"
    case recovered

    public var isFinal: Bool { self == .succeeded || self == .rolledBack || self == .recovered }
}

/// One install job's progress, written before and after each step so that an
/// og-host that crashed mid-install can find the job and restore its backups.
///
/// Every entry has an owner (gateway, PID, host) and a lease renewed while the
/// job runs; every change presents the fencing token of the endpoint lease
/// the job holds, so an owner that lost its lease cannot write.
public struct InstallJournalEntry: Codable, Equatable, Sendable {
    public var jobID: String
    public var endpointID: String
    /// The step reached (an `InstallJournalState` raw value; text in the database).
    public var state: String
    /// JSON the installer needs to resume or roll back: backups taken and steps applied.
    public var payload: String
    public package(set) var startedAt: Date
    public package(set) var updatedAt: Date
    /// Nil while the job is unfinished.
    public package(set) var finishedAt: Date?
    public package(set) var ownerGatewayID: String
    public package(set) var ownerPID: Int32
    public package(set) var ownerHost: String
    /// Until when the owner is alive for sure; nil once the owner handed the job back.
    public package(set) var leaseExpiresAt: Date?
    /// The endpoint lease's fencing token the entry was last written under.
    public package(set) var fencingToken: Int64

    public var isFinished: Bool { finishedAt != nil }
    public var typedState: InstallJournalState? { InstallJournalState(rawValue: state) }
    public var owner: JobOwner { JobOwner(gatewayID: ownerGatewayID, pid: ownerPID, host: ownerHost) }

    /// Whether the owner's lease has run out (or was handed back) at `now`.
    public func leaseExpired(at now: Date = Date()) -> Bool {
        guard let leaseExpiresAt else { return true }
        return leaseExpiresAt <= now
    }
}
