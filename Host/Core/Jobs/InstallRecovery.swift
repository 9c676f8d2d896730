import Foundation
import OGConnections
import OGInventory
import OGPlugins

/// Finishes installs a crash interrupted, under the endpoint lease of the job
/// that found them. Only entries whose owner's lease has expired are taken
/// over (a live job is never rolled back by another process); each is then
/// finished as its journal state says (`InstallJournalState`): backups only
/// removed before anything was written or after the new certificate was
/// verified, files restored in between; after a restore, each verify target
/// recorded in the journal must serve its previous certificate again (said in
/// the report and the audit record, as a job's own rollback says it).
public struct InstallRecovery {
    public let gateway: Gateway
    public let record: EndpointRecord
    public let plugin: PluginLibrary

    public init(gateway: Gateway, record: EndpointRecord, plugin: PluginLibrary) {
        self.gateway = gateway
        self.record = record
        self.plugin = plugin
    }

    public func recoverUnfinished(lease: EndpointJobLease, report: (String) -> Void) async throws {
        let inventory = try gateway.inventory()
        let unfinished = try GatewayError.inventoryCall { try inventory.unfinishedInstalls(endpointID: record.id) }
        guard !unfinished.isEmpty else { return }
        let session = try EndpointSession.open(record, gateway: gateway)
        let rollback = InstallRollback(record: record, plugin: plugin, session: session)
        for interrupted in unfinished {
            try lease.requireHeld()
            let job = try GatewayError.inventoryCall { try inventory.takeOverInstall(jobID: interrupted.jobID, lease: lease.current) }
            let payload: InstallJob.JournalPayload
            do {
                payload = try JSONDecoder().decode(InstallJob.JournalPayload.self, from: Data(job.payload.utf8))
            } catch {
                throw GatewayError("install job \(job.jobID): its journal payload cannot be read (\(error)); "
                                   + "restore the inventory from a backup", category: .endpointInconsistent)
            }
            if try await recoverAPIInstall(job, payload: payload, lease: lease, report: report) { continue }
            let state = job.typedState
            var problems: [String]
            var action: String
            let finalState: InstallJournalState
            switch state {
            case .backingUp, .applying, .applied:
                // (An API install with an undo token was handled above; without one nothing was changed.)
                problems = rollback.removeBackups(payload.changes)
                action = "nothing had been written; backups removed"
                finalState = .rolledBack
            case .verified:
                problems = rollback.removeBackups(payload.changes)
                action = "the new certificate had been verified; kept it and removed the backups"
                finalState = .succeeded
            case .writing, .written, .rollbackIncomplete, .none, .succeeded, .rolledBack, .recovered:
                let outcome = rollback.restore(payload.changes)
                problems = outcome.unrestored + (outcome.reactivationProblem.map { ["re-activation failed: \($0)"] } ?? [])
                action = "files restored"
                finalState = .recovered
                if problems.isEmpty, let served = payload.servedBefore {
                    action += "; " + (await InstallJob.checkServedAgain(served)).joined(separator: "; ")
                }
            }
            if state == .backingUp || state == .verified || state == .applying || state == .applied {
                // (restore removes temporaries itself.)
                problems += rollback.removeTemporaries(payload.changes).map { "leftover temporary \($0)" }
            }
            if problems.isEmpty {
                _ = try GatewayError.inventoryCall {
                    try inventory.updateInstall(jobID: job.jobID, lease: lease.current, state: finalState)
                }
            }
            let owner = interrupted.ownerPID == 0 ? "" : " by \(interrupted.owner)"
            let detail = "job \(job.jobID)\(owner) (interrupted in state \(job.state)) " +
                (problems.isEmpty ? "recovered: \(action)" : "could not be recovered: \(problems.joined(separator: "; "))")
            gateway.audit(action: "tls.recover", subject: record.name, success: problems.isEmpty, detail: detail)
            report(detail)
            if !problems.isEmpty {
                throw GatewayError("endpoint '\(record.name)' has an interrupted install that could not be recovered: "
                                   + problems.joined(separator: "; "), category: .endpointInconsistent)
            }
        }
    }
}
