import Foundation
import Logging
import OGBasics
import OGConnections
import OGInventory
import OGMaterial
import OGPlugins
import OGPluginABI

/// Where on an endpoint an install goes: a node (nil = the plugin's choice by
/// the certificate's names) and a keystore alias (nil = the endpoint's).
public struct InstallTarget: Sendable, Hashable {
    public var node: String?
    public var alias: String?

    public init(node: String? = nil, alias: String? = nil) {
        self.node = node
        self.alias = alias
    }
}

/// Installs material on one endpoint as one transaction, across every node
/// asked for: for each node in turn plan → render → journal → back up →
/// write atomically → read back; then, once for the endpoint, config test →
/// activate → verify every node's served certificate → done. Any failure
/// after the first write restores every file of every node, re-activates,
/// and checks the old certificate is served again. The journal entry (one
/// for the whole job) lets the next run finish a rollback a crash interrupted.
///
/// The C ABI plans one node at a time (`plan_install`), so the transaction is
/// composed here: a later node is planned against the endpoint as the earlier
/// nodes left it (their files written, not yet activated), so two nodes
/// editing one configuration file compose instead of overwriting each other;
/// a file is backed up only the first time the job touches it; the plugin's
/// config test runs once; and `activate` runs per node (its request names the
/// node, which a reload of one connector needs) with the commands an earlier
/// node's activation already ran replayed rather than run again
/// (`ActivationReplay`), so a whole-server reload happens once.
public struct InstallJob {
    public let gateway: Gateway
    public let record: EndpointRecord
    public let plugin: PluginLibrary
    public let material: InstallMaterial
    /// The nodes, installed together; at least one.
    public var targets: [InstallTarget]
    /// Receives the lines for the operator as they happen.
    let report: (String) -> Void
    /// The node each plan installed on (the plugin's choice when none was given), in the order of `targets`.
    public internal(set) var installedNodes: [String?] = []
    /// The first target's node.
    public var installedNode: String? { installedNodes.first ?? nil }
    /// Change nothing when every file already holds the certificate and every
    /// verify target serves it (file installs; an API install always applies).
    public var skipIfUnchanged = false
    /// Set when `skipIfUnchanged` found nothing to do.
    public internal(set) var wasUnchanged = false

    public init(gateway: Gateway, record: EndpointRecord, plugin: PluginLibrary, material: InstallMaterial,
                targets: [InstallTarget], report: @escaping (String) -> Void) {
        self.report = report
        self.gateway = gateway
        self.record = record
        self.plugin = plugin
        self.material = material
        self.targets = targets.isEmpty ? [InstallTarget()] : targets
    }

    public init(gateway: Gateway, record: EndpointRecord, plugin: PluginLibrary, material: InstallMaterial,
                nodeID: String?, alias: String?, report: @escaping (String) -> Void) {
        self.init(gateway: gateway, record: record, plugin: plugin, material: material,
                  targets: [InstallTarget(node: nodeID, alias: alias)], report: report)
    }

    /// One node's part of the job: what the plugin planned and the host rendered for it.
    struct NodePlan {
        var target: InstallTarget
        var plan: InstallPlanInfo
        var request: InstallRequestInfo
        var rendered: [PlanContents.RenderedChange] = []
        /// The node the plan installed on: the plan's, else what was asked for.
        var installedNode: String? { plan.nodeID.isEmpty ? (target.alias ?? target.node) : plan.nodeID }
    }

    /// For a gateway-held certificate: records where it now serves (node and
    /// the first address verified) and, for a named one, binds its name to the
    /// endpoint and the node asked for ("" = the plugin's choice), in one
    /// inventory transaction. Used where no journal state is written with it
    /// (an unchanged install, API installs); file installs write the same
    /// recordings with their `verified` journal state.
    func recordManagedInstallation(_ node: NodePlan) throws {
        guard let recording = managedInstallationRecording(node) else { return }
        try CertificateVault(gateway: gateway).recordInstallation(
            certificateID: recording.certificateID, endpointID: recording.endpointID, node: recording.node,
            servedAddress: recording.servedAddress, servedName: recording.servedName,
            bindingNode: recording.bindingNode, alias: recording.alias)
    }

    /// What `recordManagedInstallation` writes; nil for file material.
    func managedInstallationRecording(_ node: NodePlan) -> InstallationRecording? {
        guard let certificateID = material.certificateID else { return nil }
        let target = node.plan.verify.first
        return InstallationRecording(
            certificateID: certificateID, endpointID: record.id, node: node.installedNode ?? "default",
            servedAddress: target.map { $0.host.contains(":") ? "[\($0.host)]:\($0.port)" : "\($0.host):\($0.port)" },
            servedName: target.flatMap { $0.serverName.isEmpty ? nil : $0.serverName },
            bindingNode: node.target.node ?? "", alias: node.target.alias)
    }

    struct JournalPayload: Codable {
        struct Change: Codable {
            var path: String
            var existed: Bool
            var backup: String?
            var mode: UInt32
        }
        var endpoint: String
        /// Every file the job changes, on every node, once each (the first time it was touched).
        var changes: [Change]
        /// API installs (ABI 1.1): the plugin's undo token of the node being (or last) applied, base64;
        /// rollback_install gets it after a crash.
        var undoToken: String? = nil
        /// API installs on several nodes: the undo tokens of the nodes applied before it, in order
        /// (rolled back after `undoToken`, last first).
        var undoTokens: [String]? = nil
        /// The nodes of the job, for whoever reads the journal.
        var nodes: [String]? = nil
        /// What each verify target served before the job changed anything (targets that served
        /// nothing are left out): after a crash, recovery puts the old files back and then checks
        /// each of these serves its previous certificate again, as the job's own rollback does.
        var servedBefore: [ServedCertificate]? = nil

        struct ServedCertificate: Codable, Equatable {
            var target: VerifyTargetInfo
            var sha256: String
        }
    }

    /// The verify targets, in order, that served a certificate before the job: what a rollback
    /// or a recovery checks is served again.
    static func servedCertificates(_ verify: [VerifyTargetInfo], _ served: [String: Certificate?]) -> [JournalPayload.ServedCertificate]? {
        let recorded = verify.compactMap { target in
            (served[key(target)] ?? nil).map { JournalPayload.ServedCertificate(target: target, sha256: $0.sha256Fingerprint) }
        }
        return recorded.isEmpty ? nil : recorded
    }

    /// After a rollback or a recovery put the old certificate back: one line per target saying
    /// whether it serves that certificate again (the settle window's proof, not cancellable).
    static func checkServedAgain(_ served: [JournalPayload.ServedCertificate]) async -> [String] {
        var lines: [String] = []
        for entry in served {
            let again = (try? await verifyServed(entry.target, fingerprint: entry.sha256, cancellable: false)) != nil
            lines.append("\(describe(entry.target)) " + (again ? "serves the previous certificate again"
                                                                           : "does NOT serve the previous certificate"))
        }
        return lines
    }

    /// "HOST:PORT", and " (SERVER NAME)" when the probe asks for one.
    static func describe(_ target: VerifyTargetInfo) -> String {
        "\(target.host):\(target.port)" + (target.serverName.isEmpty ? "" : " (\(target.serverName))")
    }

    /// A verify target as a key: the same listener and name asked by two nodes is checked once.
    static func key(_ target: VerifyTargetInfo) -> String { "\(target.host)|\(target.port)|\(target.serverName)" }

    /// The distinct verify targets of `nodes`, in order.
    static func verifyTargets(_ nodes: [NodePlan]) -> [VerifyTargetInfo] {
        var seen = Set<String>()
        return nodes.flatMap(\.plan.verify).filter { seen.insert(key($0)).inserted }
    }

    /// "on 'web'" for one node, "on 'web' (nodes a, b)" for several.
    func place(_ nodes: [String?]) -> String {
        guard targets.count > 1 else { return "'\(record.name)'" }
        let names = nodes.isEmpty ? targets.map { $0.alias ?? $0.node ?? "default" } : nodes.map { $0 ?? "default" }
        return "'\(record.name)' (nodes \(names.joined(separator: ", ")))"
    }

    /// Shows what an install would do without changing anything. With
    /// several nodes, each is planned and diffed against the endpoint as the
    /// earlier nodes would leave it (`PlannedFilesConnection`), as the real
    /// install composes them; an API install's nodes are planned against the
    /// device as it is, since nothing can stand in for an earlier node's calls.
    public func dryRun() throws {
        let output: (String) -> Void = { text in
            if !text.isEmpty { report(text.hasSuffix("\n") ? String(text.dropLast()) : text) }
        }
        let opened = try EndpointSession.open(record, gateway: gateway)
        let isAPI = plugin.supports(.apply, for: record.type)
        var overlay: PlannedFilesConnection?
        var session = opened
        if !isAPI {
            let planned = PlannedFilesConnection(opened.connection)
            session = EndpointSession(connection: planned, endpoint: opened.endpoint, secretOptions: opened.secretOptions)
            session.loginUser = opened.loginUser
            session.loginPassword = opened.loginPassword
            overlay = planned
        }
        // The overlay session borrows the opened session's connection, which closes it at the end.
        defer { withExtendedLifetime(opened) {} }
        var nodes: [NodePlan] = []
        /// The node that last changed each path, for saying what a later node's change is based on.
        var changedBy: [String: String] = [:]
        for target in targets {
            let (node, rendered) = try session.rememberingReads {
                let node = try makePlan(session: session, target: target, dryRun: true)
                return (node, try node.plan.changes.map { try PlanContents(material: material, session: session).render($0) })
            }
            nodes.append(node)
            let name = node.installedNode ?? "default"
            output("Plan for endpoint '\(record.name)' (\(record.type))"
                   + (targets.count > 1 ? ", node \(name)" : "") + ": \(node.plan.summary)\n")
            for change in rendered {
                let path = change.change.path
                let action = change.previous == nil ? "create" : "modify"
                let basis = changedBy[path].map { "as node \($0) would leave it" }
                output("\(action) \(path) (mode \(String(change.mode, radix: 8)))\(basis.map { ", \($0)" } ?? "")\n")
                if case .literal = change.change.content, !change.change.isSecret {
                    output(try UnifiedDiff.render(path: path, old: change.previous ?? [], new: change.bytes, basis: basis))
                } else {
                    output("  (\(change.change.carriesPrivateKey || change.change.isSecret ? "secret" : "certificate") content, \(change.bytes.count) bytes, not shown)\n")
                }
                if case .keystore(let format, _, let passwordOption) = change.change.content,
                   let entries = try? session.readKeystore(format: format, data: change.bytes, passwordOption: passwordOption) {
                    // What the store would hold after this node: the entries every node of the job leaves in it.
                    output("  entries after this node: " + entries.map { entry in
                        "'\(entry.alias)' " + (entry.certificate.map { "\($0.subject) (SHA-256 \($0.sha256Fingerprint))" } ?? "(no certificate)")
                    }.joined(separator: ", ") + "\n")
                }
                overlay?.plan(path, bytes: change.bytes, mode: change.mode)
                changedBy[path] = name
            }
        }
        if isAPI && targets.count > 1 {
            output("note: each node of an API install is planned against the device as it is now; the calls of the nodes before it are not made in a dry run\n")
        }
        var steps: [String] = []
        if plugin.supports(.configTest, for: record.type) { steps.append("config test") }
        if plugin.supports(.activate, for: record.type) { steps.append("activate (\(record.type) plugin)") }
        let verify = Self.verifyTargets(nodes)
        steps.append(contentsOf: verify.map { "verify served certificate at \($0.host):\($0.port)\($0.serverName.isEmpty ? "" : " (SNI \($0.serverName))")" })
        if verify.isEmpty { steps.append("read back every written file") }
        if targets.count > 1 { steps.append("one transaction: any failure rolls back every node") }
        if !plugin.supports(.apply, for: record.type) { output("then: \(steps.joined(separator: ", "))\n") }
        if plugin.supports(.apply, for: record.type) {
            steps.insert("apply through the \(record.type) API (the plugin's calls are listed below)", at: 0)
            output("then: \(steps.joined(separator: ", "))\n")
            for line in session.pluginLog { output("  \(line)\n") }
        }
        output("certificate: \(material.summary.subject), SHA-256 \(material.summary.sha256Fingerprint)\n")
        output("Dry run: nothing was changed.\n")
    }

    /// With `skipIfUnchanged`: every node planned against the endpoint as it
    /// is; when every file already holds what would be written and every
    /// verify target serves the leaf, records that and says so (true).
    /// Otherwise `firstNode` is the first node's plan, made against the
    /// endpoint as it still is, for the install to use rather than plan it again.
    private mutating func leaveUnchanged(session: EndpointSession, renderer: PlanContents, lease: EndpointJobLease,
                                         firstNode: inout NodePlan?) throws -> Bool {
        var nodes: [NodePlan] = []
        for target in targets {
            let node = try planAndRender(session: session, renderer: renderer, target: target)
            if nodes.isEmpty { firstNode = node }
            guard !node.rendered.isEmpty, node.rendered.allSatisfy({ $0.previous == $0.bytes }) else { return false }
            nodes.append(node)
        }
        let verify = Self.verifyTargets(nodes)
        for target in verify {
            let served = try? TLSProbe.servedCertificate(host: target.host, port: UInt16(target.port),
                                                        serverName: target.serverName.isEmpty ? nil : target.serverName).first
            guard served?.sha256Fingerprint == material.leaf.sha256Fingerprint else { return false }
        }
        // Nothing to write, nothing to reload; the record is brought up to date all the same.
        installedNodes = nodes.map(\.installedNode)
        for node in nodes { try recordManagedInstallation(node) }
        wasUnchanged = true
        gateway.audit(action: "tls.install", subject: record.name, success: true,
                      detail: "job \(lease.jobID): unchanged: every file already holds certificate \(material.leaf.sha256Fingerprint)"
                          + (verify.isEmpty ? "" : " and every verify target serves it"))
        report("unchanged: '\(record.name)' already holds\(verify.isEmpty ? "" : " and serves") \(material.leaf.subject) (SHA-256 \(material.leaf.sha256Fingerprint))")
        return true
    }

    /// Runs the install under `lease` (the endpoint is this job's until it
    /// ends). Throws a GatewayError describing what failed and what was restored.
    public mutating func run(lease: EndpointJobLease) async throws {
        let inventory = try gateway.inventory()
        try await InstallRecovery(gateway: gateway, record: record, plugin: plugin).recoverUnfinished(lease: lease, report: report)
        let session = try EndpointSession.open(record, gateway: gateway)
        if plugin.supports(.apply, for: record.type) {
            return try await runAPI(session: session, inventory: inventory, lease: lease)
        }
        let renderer = PlanContents(material: material, session: session)
        var firstNode: NodePlan? = nil
        if skipIfUnchanged, try leaveUnchanged(session: session, renderer: renderer, lease: lease, firstNode: &firstNode) { return }

        let jobID = lease.jobID
        let suffix = String(jobID.prefix(8))
        var payload = JournalPayload(endpoint: record.name, changes: [])
        if targets.count > 1 { payload.nodes = targets.map { $0.alias ?? $0.node ?? "default" } }
        /// Where each path the job touches sits in `payload.changes`.
        var position: [String: Int] = [:]
        /// What each path held before the job touched it (files that existed).
        var previous: [String: [UInt8]] = [:]
        var nodes: [NodePlan] = []
        var verify: [VerifyTargetInfo] = []
        var servedBefore: [String: Certificate?] = [:]
        var begun = false
        /// Every journal step presents the lease's fencing token; a refused one means the endpoint is no longer ours.
        func journal(_ state: InstallJournalState, payload: JournalPayload? = nil) throws {
            let encoded = try payload.map { try Self.encode($0) }
            _ = try GatewayError.inventoryCall {
                try inventory.updateInstall(jobID: jobID, lease: lease.current, state: state, payload: encoded)
            }
            FaultPoints.reach("journal \(state.rawValue)")
        }

        // How many of `payload.changes` an atomic write was started for (they are
        // written in the order they were added), and whether activation was tried:
        // a rollback restores only those files and reloads only if the install did.
        var attempted = 0
        var activationAttempted = false
        do {
            for (index, target) in targets.enumerated() {
                // Tests: a crash after the earlier nodes' writes, before this node is planned or journalled.
                if index > 0 { FaultPoints.reach("before node \(index + 1)") }
                try lease.requireHeld()
                // A later node is planned against the endpoint as the earlier ones
                // left it: their files written, not yet activated. The first one may
                // have been planned already (nothing was changed since).
                var node = try (index == 0 ? firstNode : nil) ?? planAndRender(session: session, renderer: renderer, target: target)
                let probed = verify.count
                for target in node.plan.verify where servedBefore[Self.key(target)] == nil {
                    verify.append(target)
                    servedBefore[Self.key(target)] = try? TLSProbe.servedCertificate(
                        host: target.host, port: UInt16(target.port), serverName: target.serverName.isEmpty ? nil : target.serverName).first
                }
                payload.servedBefore = Self.servedCertificates(verify, servedBefore)
                // A file an earlier node changed keeps its first journal entry and backup: those hold what was there before the job.
                let fresh = node.rendered.filter { position[$0.change.path] == nil }
                for change in fresh {
                    position[change.change.path] = payload.changes.count
                    payload.changes.append(JournalPayload.Change(
                        path: change.change.path, existed: change.previous != nil,
                        backup: change.previous == nil ? nil : Self.backupPath(for: change.change.path, suffix: suffix), mode: change.mode))
                    if let bytes = change.previous { previous[change.change.path] = bytes }
                }
                if !begun {
                    let encoded = try Self.encode(payload)
                    try lease.requireHeld()
                    _ = try GatewayError.inventoryCall { try inventory.beginInstall(lease: lease.current, state: .backingUp, payload: encoded) }
                    begun = true
                    FaultPoints.reach("journal \(InstallJournalState.backingUp.rawValue)")
                } else if !fresh.isEmpty || verify.count > probed {
                    // Journalled before its backups and writes, so recovery knows every file this node touches
                    // (and what its new verify targets served before).
                    try journal(.writing, payload: payload)
                }
                report("job \(jobID): \(node.plan.summary)")
                for change in fresh {
                    if let old = change.previous, let backup = payload.changes[position[change.change.path]!].backup {
                        try lease.requireHeld()
                        try session.connection.backUp(change.change.path, to: backup, contents: old, mode: change.mode)
                    }
                }
                if index == 0 { try journal(.writing) }
                for change in node.rendered {
                    try lease.requireHeld()
                    attempted = max(attempted, position[change.change.path]! + 1)
                    try session.connection.writeFileAtomically(change.change.path, contents: change.bytes, mode: change.mode)
                    try FaultInjection.check("after-write")
                    guard try session.connection.readFile(change.change.path) == change.bytes else {
                        throw GatewayError("\(change.change.path) did not read back as written")
                    }
                    report("wrote \(change.change.path)")
                }
                nodes.append(node)
            }
            installedNodes = nodes.map(\.installedNode)
            try checkKeystores(nodes.flatMap(\.rendered), session: session)
            try journal(.written)
            try FaultInjection.check("before-activate")
            try lease.requireHeld()
            if plugin.supports(.configTest, for: record.type) {
                try pluginStep("configuration test") { () throws(PluginCallFailure) in try plugin.configTest(session.endpoint, services: session) }
                report("configuration test passed")
            }
            // Without a plugin's statement that the old configuration retired, a target must settle.
            var rule = VerifyRule.settleWindow
            if plugin.supports(.activate, for: record.type) {
                activationAttempted = true
                let replay = ActivationReplay()
                session.activationReplay = replay
                defer { session.activationReplay = nil }
                var retired = true
                for node in nodes {
                    replay.begin()
                    try pluginStep("activation") { () throws(PluginCallFailure) in
                        retired = try plugin.activate(session.endpoint, request: node.request, services: session)
                            .oldConfigurationRetired && retired
                    }
                    replay.end()
                }
                if retired { rule = .oneHandshake }
                report("activated")
            }
            session.logger.debug("verifying \(rule == .oneHandshake ? "with one handshake per target: every activation stated the old configuration retired" : "with the settle window")")
            for target in verify {
                try await Self.verifyServed(target, fingerprint: material.leaf.sha256Fingerprint, rule: rule)
                // Named with the server name too: two targets on one listener are two crash points.
                FaultPoints.reach("verified \(Self.describe(target))")
                report("verified \(Self.describe(target)) serves the new certificate")
            }
            // Where the certificate went (every node) is recorded in the same
            // inventory transaction that marks the job verified: if it cannot be,
            // the install is rolled back, and a crash on either side of it leaves
            // the journal and the inventory agreeing (recovery rolls back a
            // job that was not yet verified, and nothing says it was installed).
            // From here on, recovery keeps the new files: it only removes the backups.
            let recordings = nodes.compactMap { managedInstallationRecording($0) }
            _ = try GatewayError.inventoryCall {
                try inventory.updateInstall(jobID: jobID, lease: lease.current, state: .verified, payload: nil, recordings: recordings)
            }
            FaultPoints.reach("journal \(InstallJournalState.verified.rawValue)")
        } catch {
            // Planning or rendering the first node failed: nothing was journalled or changed.
            guard begun else { throw error }
            if lease.isLost {
                // Another job took the endpoint over after this one's lease ran
                // out; it recovers this job from the journal. Touching the
                // endpoint now would undo its work.
                let reason = (error as? GatewayError)?.message ?? "\(error)"
                gateway.audit(action: "tls.install", subject: record.name, success: false,
                              detail: "job \(jobID): lost the endpoint to another job and stopped: \(reason)")
                throw GatewayError("install on \(place(installedNodes)) stopped: this job's lease on the endpoint ran out and "
                                   + "another job took it over and recovers it (\(reason))", category: .endpointInconsistent)
            }
            let reason = (error as? GatewayError)?.message ?? "\(error)"
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
            let verifiedOld = outcome.unrestored.isEmpty ? await Self.checkServedAgain(payload.servedBefore ?? []) : []
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
            if targets.count > 1 && outcome.unrestored.isEmpty {
                lines.append("the nodes are one transaction: every node of '\(record.name)' was rolled back")
            }
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
            let message = "install on \(place(installedNodes.isEmpty ? nodes.map(\.installedNode) : installedNodes)) failed: \(reason)\n"
                + lines.joined(separator: "\n")
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
                      detail: "job \(jobID): \(nodes.map(\.plan.summary).joined(separator: "; ")); certificate \(material.leaf.sha256Fingerprint)\(Self.commandSummary(session))")
        report("installed \(material.leaf.subject) (SHA-256 \(material.leaf.sha256Fingerprint)) on \(place(installedNodes))")
    }

    /// One node planned against the endpoint as it is, and rendered; the
    /// rendering takes what the plan read from the session instead of reading it again.
    func planAndRender(session: EndpointSession, renderer: PlanContents, target: InstallTarget) throws -> NodePlan {
        try session.rememberingReads {
            var node = try makePlan(session: session, target: target, dryRun: false)
            node.rendered = try node.plan.changes.map { try renderer.render($0) }
            return node
        }
    }

    func makePlan(session: EndpointSession, target: InstallTarget, dryRun: Bool) throws -> NodePlan {
        guard plugin.supports(.install, for: record.type) else {
            throw GatewayError.badInput("endpoint type '\(record.type)' (plugin \(plugin.info.name)) does not support installs")
        }
        let request = InstallRequestInfo(nodeID: target.node, alias: target.alias, certificate: material.summary,
                                         chainLength: material.intermediates.count, isDryRun: dryRun)
        do {
            return NodePlan(target: target, plan: try plugin.planInstall(session.endpoint, request: request, services: session),
                            request: request)
        } catch {
            let node = targets.count > 1 ? " (node \(target.alias ?? target.node ?? "default"))" : ""
            throw GatewayError("planning the install on '\(record.name)'\(node) failed: \(error.description)",
                               category: GatewayError.category(of: error.status))
        }
    }

    private func pluginStep(_ name: String, _ body: () throws(PluginCallFailure) -> Void) throws {
        do { try body() } catch { throw GatewayError("\(name) failed: \(error.description)") }
    }

    /// After writing a keystore, the entry must be there with the new certificate.
    /// The store is not read again: the read-back right after the last write
    /// of each file found exactly that write's bytes in it, so those are decoded
    /// (a later node writing the same store leaves its bytes there, with every alias).
    private func checkKeystores(_ rendered: [PlanContents.RenderedChange], session: EndpointSession) throws {
        var onDisk: [String: [UInt8]] = [:]
        for change in rendered { onDisk[change.change.path] = change.bytes }
        for change in rendered {
            guard case .keystore(let format, let alias, let passwordOption) = change.change.content else { continue }
            let entries = try session.readKeystore(format: format, data: onDisk[change.change.path]!, passwordOption: passwordOption)
            guard let entry = entries.first(where: { $0.alias.lowercased() == alias.lowercased() }),
                  entry.certificate?.sha256Fingerprint == material.leaf.sha256Fingerprint else {
                throw GatewayError("\(change.change.path): entry '\(alias)' does not hold the new certificate after writing")
            }
        }
    }

    /// How long every new connection must get the expected leaf before it counts as served.
    /// One good handshake is not proof: after `nginx -s reload` an old worker can accept a
    /// connection or two for some 40 ms and hand out the old certificate.
    static let settleWindow: Duration = .milliseconds(Int(OG_VERIFY_SETTLE_MS))
    /// Handshakes inside the settle window, at least.
    static let settleHandshakes = Int(OG_VERIFY_SETTLE_HANDSHAKES)

    /// What counts as proof that a target serves the leaf to new connections.
    enum VerifyRule: Equatable {
        /// `settleHandshakes` consecutive matches spanning `settleWindow` (og_plugin.h).
        case settleWindow
        /// One match: every activation stated that nothing running the old configuration
        /// accepts connections any more (attest_old_configuration_retired, ABI 1.2), so no
        /// later handshake can reach an old process.
        case oneHandshake
    }

    /// The pause after the `misses`-th handshake that did not get the leaf: a reload finishes
    /// asynchronously and most servers switch within milliseconds, so look again after 5 ms
    /// at first, then every 50 ms, then every 250 ms.
    static func pauseAfterMiss(_ misses: Int) -> Duration {
        .milliseconds(misses <= 10 ? 5 : misses <= 40 ? 50 : 250)
    }

    /// Proves `target` serves the leaf with `fingerprint` to new connections. Under the
    /// settle window the first match starts a run of back-to-back handshakes that must all
    /// match; any other answer starts over. Under `oneHandshake` the first match is proof.
    /// Gives up after about 10 s (OG_VERIFY_WINDOW_MS).
    /// The pauses between handshakes suspend the task rather than block a thread;
    /// a cancelled task stops verifying (the install then rolls back) unless
    /// `cancellable` is false: a rollback's check that the old certificate is
    /// served again runs to its end.
    static func verifyServed(_ target: VerifyTargetInfo, fingerprint: String, rule: VerifyRule = .settleWindow,
                             cancellable: Bool = true) async throws {
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
                if rule == .oneHandshake { return }
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
            try await pause(Self.pauseAfterMiss(misses))
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
