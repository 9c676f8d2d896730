import Foundation
import OGBasics
import OGInventory
import OGMaterial
import OGPlugins

/// Installs on endpoints changed through an API rather than files (F5, IIS;
/// OG_CAP_APPLY): per node plan → journal → apply_install (the plugin
/// journals its undo token through the host before its first change); then
/// verify every node by handshake → finish_install per node. Any failure
/// after an apply started calls rollback_install with every journalled token,
/// the node being applied first, then the nodes applied before it, last
/// first, and checks the previous certificate is served again; a rollback
/// that fails leaves the journal open (with the tokens not yet rolled back)
/// for `tls recover`.
extension InstallJob {
    /// Holds the journal payload while the plugin's journal_undo_token calls update it.
    final class APIJournal {
        let lease: EndpointJobLease
        let inventory: any InventoryStore
        var payload: JournalPayload
        /// The journal entry written: the job's own, or the interrupted job a recovery took over
        /// (whose ID is not the recovering job's).
        let jobID: String

        init(lease: EndpointJobLease, inventory: any InventoryStore, payload: JournalPayload, jobID: String? = nil) {
            self.lease = lease
            self.inventory = inventory
            self.payload = payload
            self.jobID = jobID ?? lease.jobID
        }

        func record(_ token: [UInt8], state: InstallJournalState) throws {
            payload.undoToken = Data(token).base64EncodedString()
            try write(state)
        }

        /// The applied node's token joins the earlier nodes' before the next node is applied.
        func nextNode() throws {
            guard let token = payload.undoToken else { return }
            payload.undoTokens = (payload.undoTokens ?? []) + [token]
            payload.undoToken = nil
            try write(.applied)
        }

        /// A token was rolled back: the journal keeps only those still to undo.
        func rolledBack(_ token: String) throws {
            if payload.undoToken == token {
                payload.undoToken = nil
            } else if let index = payload.undoTokens?.lastIndex(of: token) {
                payload.undoTokens?.remove(at: index)
            }
            try write(.applying)
        }

        private func write(_ state: InstallJournalState) throws {
            let encoded = try InstallJob.encode(payload)
            _ = try GatewayError.inventoryCall {
                try inventory.updateInstall(jobID: jobID, lease: lease.current, state: state, payload: encoded)
            }
        }

        func close(_ state: InstallJournalState) throws {
            _ = try GatewayError.inventoryCall { try inventory.updateInstall(jobID: jobID, lease: lease.current, state: state) }
        }
    }

    /// Every journalled undo token, in the order they are rolled back: the node
    /// being (or last) applied, then the ones before it, last first.
    static func undoOrder(_ payload: JournalPayload) -> [String] {
        (payload.undoToken.map { [$0] } ?? []) + (payload.undoTokens ?? []).reversed()
    }

    mutating func runAPI(session: EndpointSession, inventory: any InventoryStore, lease: EndpointJobLease) async throws {
        let jobID = lease.jobID
        var start = JournalPayload(endpoint: record.name, changes: [])
        if targets.count > 1 { start.nodes = targets.map { $0.alias ?? $0.node ?? "default" } }
        let journal = APIJournal(lease: lease, inventory: inventory, payload: start)
        var nodes: [NodePlan] = []
        var verify: [VerifyTargetInfo] = []
        var servedBefore: [String: Certificate?] = [:]
        var tokens: [[UInt8]] = []
        var context: APIInstallContext?
        var begun = false
        do {
            for (index, target) in targets.enumerated() {
                // Tests: a crash after the earlier nodes' apply calls, before this node is planned.
                if index > 0 { FaultPoints.reach("before node \(index + 1)") }
                let node = try makePlan(session: session, target: target, dryRun: false)
                guard node.plan.changes.isEmpty else {
                    throw GatewayError("the \(record.type) plugin planned file changes for an API install; og-host applies one or the other, not both")
                }
                for target in node.plan.verify where servedBefore[Self.key(target)] == nil {
                    verify.append(target)
                    servedBefore[Self.key(target)] = try? TLSProbe.servedCertificate(
                        host: target.host, port: UInt16(target.port), serverName: target.serverName.isEmpty ? nil : target.serverName).first
                }
                // Written with the journal's next entry (below): recovery checks these are served again.
                journal.payload.servedBefore = Self.servedCertificates(verify, servedBefore)
                try lease.requireHeld()
                if begun {
                    try journal.nextNode()
                } else {
                    let encoded = try Self.encode(journal.payload)
                    _ = try GatewayError.inventoryCall { try inventory.beginInstall(lease: lease.current, state: .applying, payload: encoded) }
                    begun = true
                }
                report("job \(jobID): \(node.plan.summary)")
                let current = APIInstallContext(material: material) { token in
                    try journal.record(token, state: .applying)
                    try FaultInjection.check("after-undo-journal")
                }
                context = current
                session.apiInstall = current
                let token: [UInt8]
                do {
                    token = try plugin.applyInstall(session.endpoint, request: node.request, services: session)
                } catch {
                    throw GatewayError("applying the install\(targets.count > 1 ? " on node \(node.installedNode ?? "default")" : "") failed: \(error.description)")
                }
                session.apiInstall = nil
                try journal.record(token, state: .applied)
                tokens.append(token)
                context = nil
                nodes.append(node)
                report("applied through the \(record.type) API")
                try FaultInjection.check("after-apply")
            }
            installedNodes = nodes.map(\.installedNode)
            for target in verify {
                try await Self.verifyServed(target, fingerprint: material.leaf.sha256Fingerprint)
                report("verified \(Self.describe(target)) serves the new certificate")
            }
            for node in nodes { try recordManagedInstallation(node) }
        } catch {
            session.apiInstall = nil
            guard begun else { throw error }
            let reason = (error as? GatewayError)?.message ?? "\(error)"
            var lines: [String] = []
            var closed = true
            // The node being applied may have journalled a token before it failed.
            if let partial = context?.journalledToken, journal.payload.undoToken != Data(partial).base64EncodedString() {
                try? journal.record(partial, state: .applying)
            }
            let undo = Self.undoOrder(journal.payload)
            if undo.isEmpty {
                lines.append("the plugin journalled no undo token, so it changed nothing")
            }
            for encoded in undo {
                guard let token = Data(base64Encoded: encoded) else { continue }
                do {
                    try plugin.rollbackInstall(session.endpoint, token: Array(token), services: session)
                    try? journal.rolledBack(encoded)
                } catch {
                    closed = false
                    lines.append("ROLLBACK FAILED: \(error.description); the journal stays open: run `og-host tls recover \(record.name)`")
                    break
                }
            }
            if closed, !undo.isEmpty {
                lines.append(undo.count > 1 ? "rolled back every node with the plugin's undo tokens" : "rolled back with the plugin's undo token")
                lines += await Self.checkServedAgain(journal.payload.servedBefore ?? [])
            }
            if closed { try? journal.close(.rolledBack) }
            gateway.audit(action: "tls.install", subject: record.name, success: false,
                          detail: "job \(jobID): install failed: \(reason); \(lines.joined(separator: "; "))\(Self.commandSummary(session))")
            throw GatewayError("install on \(place(nodes.map(\.installedNode))) failed: \(reason)\n" + lines.joined(separator: "\n"),
                               category: closed ? .endpointRolledBack : .endpointInconsistent)
        }

        var finishProblems: [String] = []
        if plugin.hasFinishInstall {
            for token in tokens {
                do {
                    try plugin.finishInstall(session.endpoint, token: token, services: session)
                } catch {
                    finishProblems.append(error.description)
                }
            }
        }
        try journal.close(.succeeded)
        let finishProblem = finishProblems.isEmpty ? nil : finishProblems.joined(separator: "; ")
        gateway.audit(action: "tls.install", subject: record.name, success: finishProblem == nil,
                      detail: "job \(jobID): \(nodes.map(\.plan.summary).joined(separator: "; ")); certificate \(material.leaf.sha256Fingerprint)"
                          + (finishProblem.map { "; finishing failed: \($0)" } ?? "") + Self.commandSummary(session))
        report("installed \(material.leaf.subject) (SHA-256 \(material.leaf.sha256Fingerprint)) on \(place(installedNodes))")
        if let finishProblem {
            throw GatewayError("installed and verified on \(place(installedNodes)), but finishing the install failed: \(finishProblem)")
        }
    }
}

extension InstallRecovery {
    /// Rolls back an interrupted API install with its journalled undo tokens
    /// (the node being applied, then the nodes applied before it, last first);
    /// false when the job has none. Each token rolled back leaves the journal,
    /// so a recovery that fails halfway resumes with the rest.
    func recoverAPIInstall(_ job: InstallJournalEntry, payload: InstallJob.JournalPayload, lease: EndpointJobLease,
                           report: (String) -> Void) async throws -> Bool {
        let undo = InstallJob.undoOrder(payload)
        guard !undo.isEmpty else { return false }
        let tokens = try undo.map { encoded in
            guard let token = Data(base64Encoded: encoded) else {
                throw GatewayError("the journal of job \(job.jobID) holds an undo token that is not base64; inspect it before recovering")
            }
            return (encoded, Array(token))
        }
        guard plugin.supports(.apply, for: record.type) else {
            throw GatewayError("job \(job.jobID) was an API install, but the \(record.type) plugin no longer offers rollback_install")
        }
        let inventory = try gateway.inventory()
        let session = try EndpointSession.open(record, gateway: gateway)
        let journal = InstallJob.APIJournal(lease: lease, inventory: inventory, payload: payload, jobID: job.jobID)
        for (encoded, token) in tokens {
            do {
                try plugin.rollbackInstall(session.endpoint, token: token, services: session)
            } catch {
                let detail = "job \(job.jobID) (interrupted in state \(job.state)) could not be rolled back: \(error.description)"
                gateway.audit(action: "tls.recover", subject: record.name, success: false, detail: detail)
                throw GatewayError("endpoint '\(record.name)' has an interrupted install that could not be recovered: \(error.description)",
                                   category: .endpointInconsistent)
            }
            if tokens.count > 1 { try journal.rolledBack(encoded) }
        }
        _ = try GatewayError.inventoryCall { try inventory.updateInstall(jobID: job.jobID, lease: lease.current, state: .recovered) }
        let served = await InstallJob.checkServedAgain(payload.servedBefore ?? [])
        let detail = "job \(job.jobID) (interrupted in state \(job.state)) recovered: rolled back with the plugin's undo token"
            + (tokens.count > 1 ? "s of its \(tokens.count) nodes" : "") + served.map { "; " + $0 }.joined()
        gateway.audit(action: "tls.recover", subject: record.name, success: true, detail: detail + InstallJob.commandSummary(session))
        report(detail)
        return true
    }
}
