import Foundation
import OGBasics
import OGConnections
import OGInventory
import OGMaterial
import OGPlugins

/// Installs material on one endpoint as one transaction:
/// plan → render → (dry run: show and stop) → journal → back up → write
/// atomically → read back → config test → activate → verify → done;
/// any failure after the first write restores every file, re-activates, and
/// checks the old certificate is served again. The journal lets the next run
/// finish a rollback that a crash interrupted.
public struct InstallJob {
    public let gateway: Gateway
    public let record: EndpointRecord
    public let plugin: PluginLibrary
    public let material: InstallMaterial
    public var nodeID: String?
    public var alias: String?
    /// Receives the lines for the operator as they happen.
    let report: (String) -> Void
    /// The node the plan installed on (the plugin's choice when none was given).
    public internal(set) var installedNode: String?

    public init(gateway: Gateway, record: EndpointRecord, plugin: PluginLibrary, material: InstallMaterial,
                nodeID: String?, alias: String?, report: @escaping (String) -> Void) {
        self.report = report
        self.gateway = gateway
        self.record = record
        self.plugin = plugin
        self.material = material
        self.nodeID = nodeID
        self.alias = alias
    }

    struct JournalPayload: Codable {
        struct Change: Codable {
            var path: String
            var existed: Bool
            var backup: String?
            var mode: UInt32
        }
        var endpoint: String
        var changes: [Change]
        /// API installs (ABI 1.1): the plugin's undo token, base64; rollback_install gets it after a crash.
        var undoToken: String? = nil
    }

    /// Shows what an install would do without changing anything.
    public func dryRun() throws {
        let output: (String) -> Void = { text in
            if !text.isEmpty { report(text.hasSuffix("\n") ? String(text.dropLast()) : text) }
        }
        let session = try EndpointSession.open(record, gateway: gateway)
        let (plan, request) = try makePlan(session: session, dryRun: true)
        let rendered = try plan.changes.map { try PlanContents(material: material, session: session).render($0) }
        output("Plan for endpoint '\(record.name)' (\(record.type)): \(plan.summary)\n")
        for change in rendered {
            let action = change.previous == nil ? "create" : "modify"
            output("\(action) \(change.change.path) (mode \(String(change.mode, radix: 8)))\n")
            if case .literal = change.change.content, !change.change.isSecret {
                output(try UnifiedDiff.render(path: change.change.path, old: change.previous ?? [], new: change.bytes))
            } else {
                output("  (\(change.change.carriesPrivateKey || change.change.isSecret ? "secret" : "certificate") content, \(change.bytes.count) bytes, not shown)\n")
            }
        }
        var steps: [String] = []
        if plugin.supports(.configTest, for: record.type) { steps.append("config test") }
        if plugin.supports(.activate, for: record.type) { steps.append("activate (\(record.type) plugin)") }
        steps.append(contentsOf: plan.verify.map { "verify served certificate at \($0.host):\($0.port)\($0.serverName.isEmpty ? "" : " (SNI \($0.serverName))")" })
        if plan.verify.isEmpty { steps.append("read back every written file") }
        if !plugin.supports(.apply, for: record.type) { output("then: \(steps.joined(separator: ", "))\n") }
        if plugin.supports(.apply, for: record.type) {
            steps.insert("apply through the \(record.type) API (the plugin's calls are listed below)", at: 0)
            output("then: \(steps.joined(separator: ", "))\n")
            for line in session.pluginLog { output("  \(line)\n") }
        }
        output("certificate: \(request.certificate.subject), SHA-256 \(request.certificate.sha256Fingerprint)\n")
        output("Dry run: nothing was changed.\n")
    }

    /// Runs the install. Throws a GatewayError describing what failed and what was restored.
    public mutating func run() throws {
        let inventory = try gateway.inventory()
        try InstallRecovery(gateway: gateway, record: record, plugin: plugin).recoverUnfinished(report: report)
        let session = try EndpointSession.open(record, gateway: gateway)
        let (plan, request) = try makePlan(session: session, dryRun: false)
        if plugin.supports(.apply, for: record.type) {
            return try runAPI(session: session, plan: plan, request: request, inventory: inventory)
        }
        let renderer = PlanContents(material: material, session: session)
        let rendered = try plan.changes.map { try renderer.render($0) }
        let servedBefore = plan.verify.map { try? TLSProbe.servedCertificate(host: $0.host, port: UInt16($0.port),
                                                                              serverName: $0.serverName.isEmpty ? nil : $0.serverName).first }

        let jobID = UUID().uuidString.lowercased()
        let suffix = String(jobID.prefix(8))
        let payload = JournalPayload(endpoint: record.name, changes: rendered.map {
            JournalPayload.Change(path: $0.change.path, existed: $0.previous != nil,
                                  backup: $0.previous == nil ? nil : Self.backupPath(for: $0.change.path, suffix: suffix),
                                  mode: $0.mode)
        })
        _ = try inventory.beginInstall(jobID: jobID, endpointID: record.id, state: "backing-up", payload: try Self.encode(payload))
        report("job \(jobID): \(plan.summary)")
        installedNode = plan.nodeID.isEmpty ? (alias ?? nodeID) : plan.nodeID

        var written: [PlanContents.RenderedChange] = []
        // How many of `rendered` an atomic write was started for, and whether activation was tried:
        // a rollback restores only those files and reloads only if the install did.
        var attempted = 0
        var activationAttempted = false
        do {
            for (index, change) in rendered.enumerated() {
                if let previous = change.previous, let backup = payload.changes[index].backup {
                    try session.connection.writeFileAtomically(backup, contents: previous, mode: change.mode)
                }
            }
            _ = try inventory.updateInstall(jobID: jobID, state: "writing", payload: try Self.encode(payload))
            for change in rendered {
                attempted += 1
                try session.connection.writeFileAtomically(change.change.path, contents: change.bytes, mode: change.mode)
                written.append(change)
                try FaultInjection.check("after-write")
                guard try session.connection.readFile(change.change.path) == change.bytes else {
                    throw GatewayError("\(change.change.path) did not read back as written")
                }
                report("wrote \(change.change.path)")
            }
            try checkKeystores(rendered, session: session)
            _ = try inventory.updateInstall(jobID: jobID, state: "written", payload: try Self.encode(payload))
            try FaultInjection.check("before-activate")
            if plugin.supports(.configTest, for: record.type) {
                try pluginStep("configuration test") { () throws(PluginCallFailure) in try plugin.configTest(session.endpoint, services: session) }
                report("configuration test passed")
            }
            if plugin.supports(.activate, for: record.type) {
                activationAttempted = true
                try pluginStep("activation") { () throws(PluginCallFailure) in try plugin.activate(session.endpoint, request: request, services: session) }
                report("activated")
            }
            for target in plan.verify {
                try Self.verifyServed(target, fingerprint: material.leaf.sha256Fingerprint)
                report("verified \(target.host):\(target.port)\(target.serverName.isEmpty ? "" : " (\(target.serverName))") serves the new certificate")
            }
            // Where the certificate went is recorded inside the transaction: if
            // it cannot be, the install is rolled back, so the inventory and the
            // audit trail never disagree.
            if let certificateID = material.certificateID {
                try CertificateVault(gateway: gateway).recordInstallation(certificateID: certificateID, endpointID: record.id,
                                                                          node: installedNode ?? "default")
            }
        } catch {
            let reason = (error as? GatewayError)?.message ?? "\(error)"
            let outcome = rollBack(rendered: rendered, attempted: attempted, reactivate: activationAttempted,
                                   payload: payload, session: session)
            var verifiedOld: [String] = []
            if outcome.unrestored.isEmpty {
                for (index, target) in plan.verify.enumerated() {
                    guard let old = servedBefore[index] ?? nil else { continue }
                    if (try? Self.verifyServed(target, fingerprint: old.sha256Fingerprint)) != nil {
                        verifiedOld.append("\(target.host):\(target.port) serves the previous certificate again")
                    } else {
                        verifiedOld.append("\(target.host):\(target.port) does NOT serve the previous certificate")
                    }
                }
            }
            var lines: [String] = []
            if !outcome.unrestored.isEmpty {
                lines.append("ROLLBACK INCOMPLETE: could not restore \(outcome.unrestored.joined(separator: "; "))")
            }
            if !outcome.restored.isEmpty {
                lines.append("rolled back: restored \(outcome.restored.joined(separator: ", "))")
            }
            if !outcome.unchanged.isEmpty {
                lines.append("not changed, so nothing to restore: \(outcome.unchanged.joined(separator: ", "))")
            }
            if outcome.unrestored.isEmpty && outcome.restored.isEmpty {
                lines.insert("nothing on the endpoint was changed", at: 0)
            }
            if plugin.supports(.activate, for: record.type) {
                lines.append(activationAttempted
                    ? (outcome.unrestored.isEmpty ? "re-activated the restored configuration" : "not re-activated, since not every file is back")
                    : "nothing was reloaded or restarted (the install failed before activating)")
            }
            if let problem = outcome.reactivationProblem {
                lines.append("re-activating the restored files failed too: \(problem)")
            }
            lines += verifiedOld
            // Files restored but not re-activated is still a rollback: the endpoint's
            // files are as they were, and recovery could do nothing more.
            let consistent = outcome.unrestored.isEmpty
            if outcome.unrestored.isEmpty {
                _ = try? inventory.finishInstall(jobID: jobID, state: "rolled-back")
            } else {
                // Left open: recovery (tls recover, or the next job) finishes what could not be restored.
                _ = try? inventory.updateInstall(jobID: jobID, state: "rollback-incomplete", payload: try Self.encode(payload))
                lines.append("the job stays open in the journal; run og-host tls recover \(record.name) once the endpoint is reachable")
            }
            gateway.audit(action: "tls.install", subject: record.name, success: false,
                          detail: "job \(jobID): install failed: \(reason); \(lines.joined(separator: "; "))\(Self.commandSummary(session))")
            let message = "install on '\(record.name)' failed: \(reason)\n" + lines.joined(separator: "\n")
            throw GatewayError(message, category: consistent ? .endpointRolledBack : .endpointInconsistent)
        }
        for change in payload.changes { if let backup = change.backup { try? session.connection.remove(backup) } }
        _ = try inventory.finishInstall(jobID: jobID, state: "succeeded")
        gateway.audit(action: "tls.install", subject: record.name, success: true,
                      detail: "job \(jobID): \(plan.summary); certificate \(material.leaf.sha256Fingerprint)\(Self.commandSummary(session))")
        report("installed \(material.leaf.subject) (SHA-256 \(material.leaf.sha256Fingerprint)) on '\(record.name)'")
    }

    private func makePlan(session: EndpointSession, dryRun: Bool) throws -> (InstallPlanInfo, InstallRequestInfo) {
        guard plugin.supports(.install, for: record.type) else {
            throw GatewayError.badInput("endpoint type '\(record.type)' (plugin \(plugin.info.name)) does not support installs")
        }
        let request = InstallRequestInfo(nodeID: nodeID, alias: alias, certificate: material.summary,
                                         chainLength: material.intermediates.count, isDryRun: dryRun)
        do {
            return (try plugin.planInstall(session.endpoint, request: request, services: session), request)
        } catch {
            throw GatewayError("planning the install on '\(record.name)' failed: \(error.description)", category: GatewayError.category(of: error.status))
        }
    }

    private func pluginStep(_ name: String, _ body: () throws(PluginCallFailure) -> Void) throws {
        do { try body() } catch { throw GatewayError("\(name) failed: \(error.description)") }
    }

    /// After writing a keystore, the entry must be there with the new certificate.
    private func checkKeystores(_ rendered: [PlanContents.RenderedChange], session: EndpointSession) throws {
        for change in rendered {
            guard case .keystore(let format, let alias, let passwordOption) = change.change.content else { continue }
            let entries = try session.readKeystore(format: format, data: try session.connection.readFile(change.change.path),
                                                   passwordOption: passwordOption)
            guard let entry = entries.first(where: { $0.alias.lowercased() == alias.lowercased() }),
                  entry.certificate?.sha256Fingerprint == material.leaf.sha256Fingerprint else {
                throw GatewayError("\(change.change.path): entry '\(alias)' does not hold the new certificate after writing")
            }
        }
    }

    /// What a rollback achieved: files that could not be restored, and whether
    /// re-activating the restored files failed (the files are back either way).
    struct RollbackOutcome {
        var unrestored: [String] = []
        var restored: [String] = []
        /// Files the install never changed (not reached, or their write failed before the rename).
        var unchanged: [String] = []
        var reactivationProblem: String?
    }

    /// Restores every file to what it was, then re-activates the endpoint.
    private func rollBack(rendered: [PlanContents.RenderedChange], attempted: Int, reactivate: Bool,
                          payload: JournalPayload, session: EndpointSession) -> RollbackOutcome {
        var outcome = RollbackOutcome()
        for (index, change) in rendered.enumerated() {
            if index >= attempted {
                // Never written; only its backup may exist.
                if let backup = payload.changes[index].backup { try? session.connection.remove(backup) }
                outcome.unchanged.append(change.change.path)
                continue
            }
            do {
                // A write that failed before its rename left the file as it was: nothing to restore.
                if let current = try? session.connection.readFile(change.change.path), current == change.previous {
                    if let backup = payload.changes[index].backup { try? session.connection.remove(backup) }
                    outcome.unchanged.append(change.change.path)
                    continue
                }
                if change.previous == nil, (try? session.connection.stat(change.change.path).type) == .missing {
                    outcome.unchanged.append(change.change.path)
                    continue
                }
                if let previous = change.previous {
                    try session.connection.writeFileAtomically(change.change.path, contents: previous, mode: change.mode)
                    if let backup = payload.changes[index].backup { try? session.connection.remove(backup) }
                } else if try session.connection.stat(change.change.path).type != .missing {
                    try session.connection.remove(change.change.path)
                }
                outcome.restored.append(change.change.path)
            } catch {
                outcome.unrestored.append("\(change.change.path): \(error)")
            }
        }
        if outcome.unrestored.isEmpty, reactivate, plugin.supports(.activate, for: record.type) {
            do { try plugin.activate(session.endpoint, request: nil, services: session) } catch {
                outcome.reactivationProblem = error.description
            }
        }
        return outcome
    }

    static func verifyServed(_ target: VerifyTargetInfo, fingerprint: String) throws {
        // A reload finishes asynchronously: look again quickly at first (most
        // servers switch within milliseconds), then less often, for about 10 s.
        var last = "nothing was served"
        for attempt in 0..<72 {
            if attempt > 0 { usleep(attempt <= 40 ? 50_000 : 250_000) }
            do {
                let served = try TLSProbe.servedCertificate(host: target.host, port: UInt16(target.port),
                                                            serverName: target.serverName.isEmpty ? nil : target.serverName)
                if served.first?.sha256Fingerprint == fingerprint { return }
                last = "it serves \(served.first?.subject ?? "no certificate") (SHA-256 \(served.first?.sha256Fingerprint ?? "-"))"
            } catch {
                last = "\(error)"
            }
        }
        throw GatewayError("\(target.host):\(target.port)\(target.serverName.isEmpty ? "" : " (SNI \(target.serverName))") does not serve the certificate with SHA-256 \(fingerprint): \(last)")
    }

    static func backupPath(for path: String, suffix: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return "\(directory)/.\((path as NSString).lastPathComponent).og-backup-\(suffix)"
    }

    static func encode(_ payload: JournalPayload) throws -> String {
        String(decoding: try JSONEncoder().encode(payload), as: UTF8.self)
    }

    static func commandSummary(_ session: EndpointSession) -> String {
        session.commandLog.isEmpty ? "" : "; commands: " + session.commandLog.joined(separator: " | ")
    }
}

/// Test-only failpoints: `OG_FAULT_INJECT=after-write` makes og-host exit
/// abruptly at that point, the way a crash or a kill would, so tests can prove
/// the journal recovers the endpoint. Unset in production.
enum FaultInjection {
    static func check(_ point: String) throws {
        if ProcessInfo.processInfo.environment["OG_FAULT_INJECT"] == point {
            FileHandle.standardError.write(Data("og-host: fault injected at \(point)\n".utf8))
            _exit(70)
        }
    }
}
