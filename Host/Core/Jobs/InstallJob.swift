import Foundation
import OGBasics
import OGConnections
import OGInventory
import OGMaterial
import OGPlugins
import OGPluginABI

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
    /// Change nothing when every file already holds the certificate and every
    /// verify target serves it (file installs; an API install always applies).
    public var skipIfUnchanged = false
    /// Set when `skipIfUnchanged` found nothing to do.
    public internal(set) var wasUnchanged = false

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

    /// For a gateway-held certificate: records where it now serves (node and
    /// the first address verified) and, for a named one, binds its name to the
    /// endpoint and the node asked for ("" = the plugin's choice), in one
    /// inventory transaction. Used where no journal state is written with it
    /// (an unchanged install, API installs); file installs write the same
    /// recording with their `verified` journal state.
    func recordManagedInstallation(plan: InstallPlanInfo) throws {
        guard let recording = try managedInstallationRecording(plan: plan) else { return }
        try CertificateVault(gateway: gateway).recordInstallation(
            certificateID: recording.certificateID, endpointID: recording.endpointID, node: recording.node,
            servedAddress: recording.servedAddress, servedName: recording.servedName,
            bindingNode: recording.bindingNode, alias: recording.alias)
    }

    /// What `recordManagedInstallation` writes; nil for file material.
    func managedInstallationRecording(plan: InstallPlanInfo) throws -> InstallationRecording? {
        guard let certificateID = material.certificateID else { return nil }
        let target = plan.verify.first
        return InstallationRecording(
            certificateID: certificateID, endpointID: record.id, node: installedNode ?? "default",
            servedAddress: target.map { $0.host.contains(":") ? "[\($0.host)]:\($0.port)" : "\($0.host):\($0.port)" },
            servedName: target.flatMap { $0.serverName.isEmpty ? nil : $0.serverName },
            bindingNode: nodeID ?? "", alias: alias)
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

    /// Runs the install under `lease` (the endpoint is this job's until it
    /// ends). Throws a GatewayError describing what failed and what was restored.
    public mutating func run(lease: EndpointJobLease) async throws {
        let inventory = try gateway.inventory()
        try InstallRecovery(gateway: gateway, record: record, plugin: plugin).recoverUnfinished(lease: lease, report: report)
        let session = try EndpointSession.open(record, gateway: gateway)
        let (plan, request) = try makePlan(session: session, dryRun: false)
        if plugin.supports(.apply, for: record.type) {
            return try await runAPI(session: session, plan: plan, request: request, inventory: inventory, lease: lease)
        }
        let renderer = PlanContents(material: material, session: session)
        let rendered = try plan.changes.map { try renderer.render($0) }
        let servedBefore = plan.verify.map { try? TLSProbe.servedCertificate(host: $0.host, port: UInt16($0.port),
                                                                              serverName: $0.serverName.isEmpty ? nil : $0.serverName).first }

        if skipIfUnchanged, !rendered.isEmpty, rendered.allSatisfy({ $0.previous == $0.bytes }),
           servedBefore.allSatisfy({ ($0 ?? nil)?.sha256Fingerprint == material.leaf.sha256Fingerprint }) {
            // Nothing to write, nothing to reload; the record is brought up to date all the same.
            installedNode = plan.nodeID.isEmpty ? (alias ?? nodeID) : plan.nodeID
            try recordManagedInstallation(plan: plan)
            wasUnchanged = true
            gateway.audit(action: "tls.install", subject: record.name, success: true,
                          detail: "job \(lease.jobID): unchanged: every file already holds certificate \(material.leaf.sha256Fingerprint)"
                              + (plan.verify.isEmpty ? "" : " and every verify target serves it"))
            report("unchanged: '\(record.name)' already holds\(plan.verify.isEmpty ? "" : " and serves") \(material.leaf.subject) (SHA-256 \(material.leaf.sha256Fingerprint))")
            return
        }

        let jobID = lease.jobID
        let suffix = String(jobID.prefix(8))
        let payload = JournalPayload(endpoint: record.name, changes: rendered.map {
            JournalPayload.Change(path: $0.change.path, existed: $0.previous != nil,
                                  backup: $0.previous == nil ? nil : Self.backupPath(for: $0.change.path, suffix: suffix),
                                  mode: $0.mode)
        })
        let encoded = try Self.encode(payload)
        try lease.requireHeld()
        _ = try GatewayError.inventoryCall { try inventory.beginInstall(lease: lease.current, state: .backingUp, payload: encoded) }
        FaultPoints.reach("journal \(InstallJournalState.backingUp.rawValue)")
        /// Every journal step presents the lease's fencing token; a refused one means the endpoint is no longer ours.
        func journal(_ state: InstallJournalState) throws {
            _ = try GatewayError.inventoryCall { try inventory.updateInstall(jobID: jobID, lease: lease.current, state: state) }
            FaultPoints.reach("journal \(state.rawValue)")
        }
        report("job \(jobID): \(plan.summary)")
        installedNode = plan.nodeID.isEmpty ? (alias ?? nodeID) : plan.nodeID

        // How many of `rendered` an atomic write was started for, and whether activation was tried:
        // a rollback restores only those files and reloads only if the install did.
        var attempted = 0
        var activationAttempted = false
        do {
            for (index, change) in rendered.enumerated() {
                if let previous = change.previous, let backup = payload.changes[index].backup {
                    try lease.requireHeld()
                    try session.connection.writeFileAtomically(backup, contents: previous, mode: change.mode)
                }
            }
            try journal(.writing)
            for change in rendered {
                try lease.requireHeld()
                attempted += 1
                try session.connection.writeFileAtomically(change.change.path, contents: change.bytes, mode: change.mode)
                try FaultInjection.check("after-write")
                guard try session.connection.readFile(change.change.path) == change.bytes else {
                    throw GatewayError("\(change.change.path) did not read back as written")
                }
                report("wrote \(change.change.path)")
            }
            try checkKeystores(rendered, session: session)
            try journal(.written)
            try FaultInjection.check("before-activate")
            try lease.requireHeld()
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
                try await Self.verifyServed(target, fingerprint: material.leaf.sha256Fingerprint)
                FaultPoints.reach("verified \(target.host):\(target.port)")
                report("verified \(target.host):\(target.port)\(target.serverName.isEmpty ? "" : " (\(target.serverName))") serves the new certificate")
            }
            // Where the certificate went is recorded in the same inventory
            // transaction that marks the job verified: if it cannot be, the
            // install is rolled back, and a crash on either side of it leaves
            // the journal and the inventory agreeing (recovery rolls back a
            // job that was not yet verified, and nothing says it was installed).
            // From here on, recovery keeps the new files: it only removes the backups.
            let recording = try managedInstallationRecording(plan: plan)
            _ = try GatewayError.inventoryCall {
                try inventory.updateInstall(jobID: jobID, lease: lease.current, state: .verified, recording: recording)
            }
            FaultPoints.reach("journal \(InstallJournalState.verified.rawValue)")
        } catch {
            if lease.isLost {
                // Another job took the endpoint over after this one's lease ran
                // out; it recovers this job from the journal. Touching the
                // endpoint now would undo its work.
                let reason = (error as? GatewayError)?.message ?? "\(error)"
                gateway.audit(action: "tls.install", subject: record.name, success: false,
                              detail: "job \(jobID): lost the endpoint to another job and stopped: \(reason)")
                throw GatewayError("install on '\(record.name)' stopped: this job's lease on the endpoint ran out and "
                                   + "another job took it over and recovers it (\(reason))", category: .endpointInconsistent)
            }
            let reason = (error as? GatewayError)?.message ?? "\(error)"
            var previous: [String: [UInt8]] = [:]
            for change in rendered { if let bytes = change.previous { previous[change.change.path] = bytes } }
            var outcome = InstallRollback(record: record, plugin: plugin, session: session)
                .restore(payload.changes, previous: previous, attempted: attempted, reactivate: activationAttempted)
            if !outcome.unrestored.isEmpty, !lease.isLost {
                // Most often the connection itself failed (an SSH session dropped
                // after the files were written): roll back over a new one. The
                // rollback is idempotent, so what the first pass did stays done.
                let problems = outcome.unrestored.joined(separator: "; ")
                if let fresh = try? EndpointSession.open(record, gateway: gateway) {
                    report("the rollback could not finish (\(problems)); reconnected to the endpoint and tried again")
                    let again = InstallRollback(record: record, plugin: plugin, session: fresh)
                        .restore(payload.changes, previous: previous, attempted: attempted, reactivate: activationAttempted)
                    outcome = InstallRollback.Outcome(restored: outcome.restored + again.restored,
                                                      unchanged: again.unchanged.filter { !outcome.restored.contains($0) },
                                                      unrestored: again.unrestored,
                                                      reactivationProblem: again.reactivationProblem)
                }
            }
            var verifiedOld: [String] = []
            if outcome.unrestored.isEmpty {
                for (index, target) in plan.verify.enumerated() {
                    guard let old = servedBefore[index] ?? nil else { continue }
                    if (try? await Self.verifyServed(target, fingerprint: old.sha256Fingerprint, cancellable: false)) != nil {
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
                // A re-activation that failed is reported by its own line below, never as done.
                if !activationAttempted {
                    lines.append("nothing was reloaded or restarted (the install failed before activating)")
                } else if !outcome.unrestored.isEmpty {
                    lines.append("not re-activated, since not every file is back")
                } else if outcome.reactivationProblem == nil {
                    lines.append("re-activated the restored configuration")
                }
            }
            if let problem = outcome.reactivationProblem {
                lines.append("re-activating the restored files failed too: \(problem)")
            }
            lines += verifiedOld
            // Files restored but not re-activated is still a rollback: the endpoint's
            // files are as they were, and recovery could do nothing more.
            let consistent = outcome.unrestored.isEmpty
            if outcome.unrestored.isEmpty {
                try? journal(.rolledBack)
            } else {
                // Left open (and handed back when the lease is released): recovery
                // (tls recover, or the next job) finishes what could not be restored.
                try? journal(.rollbackIncomplete)
                lines.append("the job stays open in the journal; run og-host tls recover \(record.name) once the endpoint is reachable")
            }
            gateway.audit(action: "tls.install", subject: record.name, success: false,
                          detail: "job \(jobID): install failed: \(reason); \(lines.joined(separator: "; "))\(Self.commandSummary(session))")
            let message = "install on '\(record.name)' failed: \(reason)\n" + lines.joined(separator: "\n")
            throw GatewayError(message, category: consistent ? .endpointRolledBack : .endpointInconsistent)
        }
        try FaultInjection.check("after-verify")
        let leftBackups = InstallRollback(record: record, plugin: plugin, session: session).removeBackups(payload.changes)
        if !leftBackups.isEmpty {
            report("note: backups could not be removed (\(leftBackups.joined(separator: "; "))); the next job on this endpoint removes them")
        } else {
            do { try journal(.succeeded) } catch {
                report("note: the job could not be closed in the journal (\(error)); the next job on this endpoint closes it and keeps the new certificate")
            }
        }
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

    /// How long every new connection must get the expected leaf before it counts as served.
    /// One good handshake is not proof: after `nginx -s reload` an old worker can accept a
    /// connection or two for some 40 ms and hand out the old certificate.
    static let settleWindow: Duration = .milliseconds(150)
    /// Handshakes inside the settle window, at least.
    static let settleHandshakes = 3

    /// Proves `target` serves the leaf with `fingerprint` to new connections: the first
    /// match starts a settle window of back-to-back handshakes that must all match; any
    /// other answer starts over. Gives up after about 10 s (OG_VERIFY_WINDOW_MS).
    /// The pauses between handshakes suspend the task rather than block a thread;
    /// a cancelled task stops verifying (the install then rolls back) unless
    /// `cancellable` is false: a rollback's check that the old certificate is
    /// served again runs to its end.
    static func verifyServed(_ target: VerifyTargetInfo, fingerprint: String, cancellable: Bool = true) async throws {
        func pause(_ duration: Duration) async throws {
            guard cancellable else { return await uncancellableSleep(duration) }
            do { try await Task.sleep(for: duration) } catch {
                throw GatewayError("the job was cancelled while checking that \(target.host):\(target.port) serves the new certificate",
                                   category: .transient)
            }
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(OG_VERIFY_WINDOW_MS))
        var last = "nothing was served"
        var settlingSince: ContinuousClock.Instant?
        var matches = 0
        var misses = 0
        while clock.now < deadline {
            var matched = false
            do {
                let served = try TLSProbe.servedCertificate(host: target.host, port: UInt16(target.port),
                                                            serverName: target.serverName.isEmpty ? nil : target.serverName)
                matched = served.first?.sha256Fingerprint == fingerprint
                if !matched {
                    last = "it serves \(served.first?.subject ?? "no certificate") (SHA-256 \(served.first?.sha256Fingerprint ?? "-"))"
                }
            } catch {
                last = "\(error)"
            }
            if matched {
                let since = settlingSince ?? clock.now
                settlingSince = since
                matches += 1
                if matches >= settleHandshakes, clock.now - since >= settleWindow { return }
                try await pause(.milliseconds(10))
                continue
            }
            if settlingSince != nil { last = "it served the new certificate, then again the old one: " + last }
            settlingSince = nil
            matches = 0
            misses += 1
            // A reload finishes asynchronously: look again quickly at first (most servers
            // switch within milliseconds), then less often.
            try await pause(.milliseconds(misses <= 40 ? 50 : 250))
        }
        throw GatewayError("\(target.host):\(target.port)\(target.serverName.isEmpty ? "" : " (SNI \(target.serverName))") does not serve the certificate with SHA-256 \(fingerprint) to every new connection: \(last)")
    }

    /// `.<name>.og-backup-<job>` beside the file, in the path's own syntax:
    /// a Windows path (`C:\certs\store.p12`, `\\server\share\...`) keeps its
    /// backslashes, since POSIX path handling would make it `/.C:\...`.
    static func backupPath(for path: String, suffix: String) -> String {
        let isWindows = path.hasPrefix("\\\\") || (path.count >= 3 && path.dropFirst().hasPrefix(":\\"))
        if isWindows, let separator = path.lastIndex(where: { $0 == "\\" || $0 == "/" }) {
            return "\(path[...separator]).\(path[path.index(after: separator)...]).og-backup-\(suffix)"
        }
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

/// Named crash points of the install flow; see `FaultPoints` (OGBasics) for
/// `OG_FAULT_INJECT`. Kept as the job's name for them.
enum FaultInjection {
    static func check(_ point: String) throws {
        FaultPoints.reach(point)
    }
}
