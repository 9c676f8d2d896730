import Foundation
import OGConnections
import OGInventory
import OGPlugins

/// Finishes installs a crash interrupted: every file named in the journal is put
/// back from its backup (or removed when the install created it), the endpoint
/// is re-activated, and the journal entry is closed as recovered.
public struct InstallRecovery {
    public let gateway: Gateway
    public let record: EndpointRecord
    public let plugin: PluginLibrary

    public init(gateway: Gateway, record: EndpointRecord, plugin: PluginLibrary) {
        self.gateway = gateway
        self.record = record
        self.plugin = plugin
    }

    public func recoverUnfinished(report: (String) -> Void) throws {
        let inventory = try gateway.inventory()
        let unfinished = try inventory.unfinishedInstalls().filter { $0.endpointID == record.id }
        guard !unfinished.isEmpty else { return }
        let session = try EndpointSession.open(record, gateway: gateway)
        for job in unfinished {
            let payload = try JSONDecoder().decode(InstallJob.JournalPayload.self, from: Data(job.payload.utf8))
            if try recoverAPIInstall(job, payload: payload, report: report) { continue }
            var problems: [String] = []
            for change in payload.changes {
                do {
                    if let backup = change.backup {
                        // Only a backup that was completely written can be trusted; without it
                        // the install never got past backing up, and the file is untouched.
                        guard try session.connection.stat(backup).type == .regular else { continue }
                        let bytes = try session.connection.readFile(backup)
                        try session.connection.writeFileAtomically(change.path, contents: bytes, mode: change.mode)
                        try session.connection.remove(backup)
                    } else if !change.existed, job.state != "backing-up",
                              try session.connection.stat(change.path).type != .missing {
                        try session.connection.remove(change.path)
                    }
                } catch {
                    problems.append("\(change.path): \(error)")
                }
            }
            if problems.isEmpty, plugin.supports(.activate, for: record.type) {
                do { try plugin.activate(session.endpoint, request: nil, services: session) } catch {
                    problems.append("re-activation failed: \(error.description)")
                }
            }
            let state = problems.isEmpty ? "recovered" : "recovery-incomplete"
            if problems.isEmpty { _ = try inventory.finishInstall(jobID: job.jobID, state: state) }
            let detail = "job \(job.jobID) (interrupted in state \(job.state)) " +
                (problems.isEmpty ? "recovered: files restored" : "could not be recovered: \(problems.joined(separator: "; "))")
            gateway.audit(action: "tls.recover", subject: record.name, success: problems.isEmpty, detail: detail)
            report(detail)
            if !problems.isEmpty { throw GatewayError("endpoint '\(record.name)' has an interrupted install that could not be recovered: \(problems.joined(separator: "; "))", category: .endpointInconsistent) }
        }
    }
}
