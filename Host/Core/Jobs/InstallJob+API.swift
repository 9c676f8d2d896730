import Foundation
import OGBasics
import OGInventory
import OGMaterial
import OGPlugins

/// Installs on endpoints changed through an API rather than files (F5, IIS;
/// OG_CAP_APPLY): plan → journal → apply_install (the plugin journals its undo
/// token through the host before its first change) → verify by handshake →
/// finish_install. Any failure after apply started calls rollback_install with
/// the last journalled token and checks the previous certificate is served
/// again; a rollback that fails leaves the journal open for `tls recover`.
extension InstallJob {
    /// Holds the journal payload while the plugin's journal_undo_token calls update it.
    final class APIJournal {
        let lease: EndpointJobLease
        let inventory: any InventoryStore
        var payload: JournalPayload

        init(lease: EndpointJobLease, inventory: any InventoryStore, payload: JournalPayload) {
            self.lease = lease
            self.inventory = inventory
            self.payload = payload
        }

        func record(_ token: [UInt8], state: InstallJournalState) throws {
            payload.undoToken = Data(token).base64EncodedString()
            let encoded = try InstallJob.encode(payload)
            _ = try GatewayError.inventoryCall {
                try inventory.updateInstall(jobID: lease.jobID, lease: lease.current, state: state, payload: encoded)
            }
        }

        func close(_ state: InstallJournalState) throws {
            _ = try GatewayError.inventoryCall { try inventory.updateInstall(jobID: lease.jobID, lease: lease.current, state: state) }
        }
    }

    mutating func runAPI(session: EndpointSession, plan: InstallPlanInfo, request: InstallRequestInfo, inventory: any InventoryStore,
                         lease: EndpointJobLease) async throws {
        guard plan.changes.isEmpty else {
            throw GatewayError("the \(record.type) plugin planned file changes for an API install; og-host applies one or the other, not both")
        }
        let servedBefore = plan.verify.map { try? TLSProbe.servedCertificate(host: $0.host, port: UInt16($0.port),
                                                                              serverName: $0.serverName.isEmpty ? nil : $0.serverName).first }
        let jobID = lease.jobID
        let journal = APIJournal(lease: lease, inventory: inventory, payload: JournalPayload(endpoint: record.name, changes: []))
        let encoded = try Self.encode(journal.payload)
        try lease.requireHeld()
        _ = try GatewayError.inventoryCall { try inventory.beginInstall(lease: lease.current, state: .applying, payload: encoded) }
        report("job \(jobID): \(plan.summary)")
        installedNode = plan.nodeID.isEmpty ? nodeID : plan.nodeID
        let context = APIInstallContext(material: material) { token in
            try journal.record(token, state: .applying)
            try FaultInjection.check("after-undo-journal")
        }
        session.apiInstall = context

        var token: [UInt8]?
        do {
            do {
                token = try plugin.applyInstall(session.endpoint, request: request, services: session)
            } catch {
                throw GatewayError("applying the install failed: \(error.description)")
            }
            session.apiInstall = nil
            try journal.record(token!, state: .applied)
            report("applied through the \(record.type) API")
            try FaultInjection.check("after-apply")
            for target in plan.verify {
                try await Self.verifyServed(target, fingerprint: material.leaf.sha256Fingerprint)
                report("verified \(target.host):\(target.port)\(target.serverName.isEmpty ? "" : " (\(target.serverName))") serves the new certificate")
            }
            try recordManagedInstallation(plan: plan)
        } catch {
            session.apiInstall = nil
            let reason = (error as? GatewayError)?.message ?? "\(error)"
            var lines: [String] = []
            var closed = true
            if let undo = token ?? context.journalledToken {
                do {
                    try plugin.rollbackInstall(session.endpoint, token: undo, services: session)
                    lines.append("rolled back with the plugin's undo token")
                    for (index, target) in plan.verify.enumerated() {
                        guard let old = servedBefore[index] ?? nil else { continue }
                        let again = (try? await Self.verifyServed(target, fingerprint: old.sha256Fingerprint, cancellable: false)) != nil
                        lines.append("\(target.host):\(target.port) \(again ? "serves" : "does NOT serve") the previous certificate\(again ? " again" : "")")
                    }
                } catch {
                    closed = false
                    lines.append("ROLLBACK FAILED: \(error.description); the journal stays open: run `og-host tls recover \(record.name)`")
                }
            } else {
                lines.append("the plugin journalled no undo token, so it changed nothing")
            }
            if closed { try? journal.close(.rolledBack) }
            gateway.audit(action: "tls.install", subject: record.name, success: false,
                          detail: "job \(jobID): install failed: \(reason); \(lines.joined(separator: "; "))\(Self.commandSummary(session))")
            throw GatewayError("install on '\(record.name)' failed: \(reason)\n" + lines.joined(separator: "\n"),
                               category: closed ? .endpointRolledBack : .endpointInconsistent)
        }

        var finishProblem: String?
        if plugin.hasFinishInstall {
            do {
                try plugin.finishInstall(session.endpoint, token: token!, services: session)
            } catch {
                finishProblem = error.description
            }
        }
        try journal.close(.succeeded)
        gateway.audit(action: "tls.install", subject: record.name, success: finishProblem == nil,
                      detail: "job \(jobID): \(plan.summary); certificate \(material.leaf.sha256Fingerprint)"
                          + (finishProblem.map { "; finishing failed: \($0)" } ?? "") + Self.commandSummary(session))
        report("installed \(material.leaf.subject) (SHA-256 \(material.leaf.sha256Fingerprint)) on '\(record.name)'")
        if let finishProblem {
            throw GatewayError("installed and verified on '\(record.name)', but finishing the install failed: \(finishProblem)")
        }
    }
}

extension InstallRecovery {
    /// Rolls back an interrupted API install with its journalled undo token; false when the job has none.
    func recoverAPIInstall(_ job: InstallJournalEntry, payload: InstallJob.JournalPayload, lease: EndpointJobLease,
                           report: (String) -> Void) throws -> Bool {
        guard let encoded = payload.undoToken else { return false }
        guard let token = Data(base64Encoded: encoded) else {
            throw GatewayError("the journal of job \(job.jobID) holds an undo token that is not base64; inspect it before recovering")
        }
        guard plugin.supports(.apply, for: record.type) else {
            throw GatewayError("job \(job.jobID) was an API install, but the \(record.type) plugin no longer offers rollback_install")
        }
        let session = try EndpointSession.open(record, gateway: gateway)
        do {
            try plugin.rollbackInstall(session.endpoint, token: Array(token), services: session)
        } catch {
            let detail = "job \(job.jobID) (interrupted in state \(job.state)) could not be rolled back: \(error.description)"
            gateway.audit(action: "tls.recover", subject: record.name, success: false, detail: detail)
            throw GatewayError("endpoint '\(record.name)' has an interrupted install that could not be recovered: \(error.description)",
                               category: .endpointInconsistent)
        }
        let inventory = try gateway.inventory()
        _ = try GatewayError.inventoryCall { try inventory.updateInstall(jobID: job.jobID, lease: lease.current, state: .recovered) }
        let detail = "job \(job.jobID) (interrupted in state \(job.state)) recovered: rolled back with the plugin's undo token"
        gateway.audit(action: "tls.recover", subject: record.name, success: true, detail: detail + InstallJob.commandSummary(session))
        report(detail)
        return true
    }
}
