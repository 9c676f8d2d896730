import Foundation
import OGBasics
import OGInventory
import OGMaterial

/// One idempotent renewal pass (`og-host renew`; the daemon runs the same on
/// a schedule): every lineage whose next attempt is due is claimed, planned,
/// renewed through its issuer and deployed, and its outcome or backoff recorded.
///
/// Only due rows are read (the indexed query, in batches): a pass over 100,000
/// certificates of which none is due reads nothing but the index. A lineage is
/// claimed in the inventory before anything is done for it, so two gateways on
/// one database never renew it twice; a claim that expires (a crashed pass) is
/// taken over by the next pass.
public struct RenewalPass {
    public let gateway: Gateway
    public var backoff = RenewalBackoff.standard
    /// How long a claim holds before another gateway may take the lineage over. A heartbeat renews it every
    /// third of this while the lineage is worked on (a long issuance or deploy keeps it), so a gateway that dies
    /// holds it at most this long. `OG_RENEWAL_CLAIM_SECONDS` (1–3600) overrides the default of 2 minutes.
    public var claimDuration: TimeInterval = RenewalPass.defaultClaimDuration()
    /// Whether the pass also retries deploys owed to bindings (`BindingDeployState`) whose next attempt has come.
    /// The daemon turns it off: its `deploy` duty does that on its own schedule.
    public var retryDeploys = true
    /// Due rows read per query.
    public var batchSize = 100
    /// A manual-issuer certificate that is due is reported again after this long.
    public var operatorReminder: TimeInterval = 86_400
    /// The random source of jitter and ARI choices (tests inject a seeded one).
    public var randomWord: @Sendable () -> UInt64 = { UInt64.random(in: .min ... .max) }

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    /// 2 minutes, or `OG_RENEWAL_CLAIM_SECONDS` (1–3600; out of range or not a number: the default).
    public static func defaultClaimDuration(environment: Environment = .process) -> TimeInterval {
        if let text = environment["OG_RENEWAL_CLAIM_SECONDS"], let seconds = Double(text), (1...3_600).contains(seconds) {
            return seconds
        }
        return 120
    }

    /// The next `limit` lineages with something to do, soonest first (for status displays and the daemon's sleep).
    public func nextDue(limit: Int) throws -> [RenewalScheduleRecord] {
        try issuerInventory { try gateway.inventory().nextRenewals(limit: limit) }
    }

    /// Runs one pass at `now`. `force` names lineages renewed whatever their due time or backoff.
    /// A dry run claims and writes nothing and asks a CA only for its renewal window: it says what a pass would do.
    public func run(now: Date = Date(), dryRun: Bool = false, force: [String] = []) throws -> RenewalPassReport {
        let inventory = try gateway.inventory()
        var report = RenewalPassReport(dryRun: dryRun, startedAt: now)
        var forced: [String] = []
        for name in force where !forced.contains(name) {
            guard let current = try issuerInventory({ try inventory.managedCertificate(matching: name) }), current.name == name else {
                throw GatewayError.option("force", "'\(name)' is not a certificate name; see og-host cert list",
                                          category: .notFound)
            }
            forced.append(name)
        }
        let owner = "PID \(getpid()) on \(ProcessInfo.processInfo.hostName)"
        var context = Context(inventory: inventory, now: now, dryRun: dryRun, owner: owner,
                              defaults: try issuerInventory { try inventory.renewalDefaults() },
                              random: WordRandom(word: randomWord))
        var seen = Set<String>()
        // Listed lineages whose stored next attempt is after `now`: the not-due count must not count them again.
        var listedNotDue = 0
        func record(_ item: RenewalPassReport.Item) {
            report.items.append(item)
            if !dryRun, let next = item.nextAttemptAt, next > now { listedNotDue += 1 }
        }
        for name in forced {
            seen.insert(name)
            let row = try issuerInventory { try inventory.renewalSchedule(lineage: name) }
                ?? RenewalScheduleRecord(lineage: name)
            if !dryRun { try issuerInventory { try inventory.ensureRenewalSchedule(lineage: name) } }
            record(process(row, forced: true, &context))
        }
        while true {
            let limit = dryRun ? Int(Int32.max) : batchSize
            let due = try issuerInventory { try inventory.dueRenewals(at: now, limit: limit) }.filter { !seen.contains($0.lineage) }
            if due.isEmpty { break }
            for row in due {
                seen.insert(row.lineage)
                record(process(row, forced: false, &context))
            }
            if dryRun { break }
        }
        for row in try issuerInventory({ try inventory.waitingRenewals(at: now, limit: 1_000) }) where !seen.contains(row.lineage) {
            report.items.append(waiting(row, now: now))
            listedNotDue += 1
        }
        if retryDeploys {
            report.deployRetries = try DeployRetry(gateway: gateway).run(now: Date())
        }
        report.notDue = max(try issuerInventory { try inventory.notDueRenewalCount(at: now) } - listedNotDue, 0)
        report.upcoming = try issuerInventory { try inventory.nextRenewals(limit: 20) }
            .filter { ($0.nextAttemptAt ?? .distantPast) > now && !$0.needsPlanning }
            .prefix(5).map { RenewalPassReport.Upcoming(name: $0.lineage, at: $0.nextAttemptAt!, reason: $0.dueReason) }
        report.finishedAt = Date()
        return report
    }

    // MARK: - One lineage

    struct Context {
        var inventory: any InventoryStore
        var now: Date
        var dryRun: Bool
        var owner: String
        var defaults: RenewalDefaults
        var random: WordRandom
    }

    private func process(_ row: RenewalScheduleRecord, forced: Bool, _ context: inout Context) -> RenewalPassReport.Item {
        if context.dryRun { return dryRun(row, forced: forced, &context) }
        let inventory = context.inventory
        let claim: RenewalClaim
        do {
            guard let taken = try inventory.claimRenewal(lineage: row.lineage, owner: context.owner, duration: claimDuration,
                                                         now: Date()) else {
                let holder = (try? inventory.renewalSchedule(lineage: row.lineage))??.claimedBy ?? "another og-host"
                return item(row, .busy, "\(holder) is renewing it now; skipped")
            }
            claim = taken
        } catch {
            return item(row, .failed, "could not claim it: \(GatewayError.classify(error).message)")
        }
        let heartbeat = ClaimHeartbeat(inventory: inventory, claim: claim, duration: claimDuration)
        defer {
            heartbeat.stop()
            try? inventory.releaseRenewalClaim(claim)
        }
        var current: ManagedCertificateRecord?
        var schedule = row
        do {
            guard let found = try inventory.managedCertificate(matching: row.lineage), found.name == row.lineage else {
                try inventory.removeRenewalSchedule(claim)
                return item(row, .removed, "no certificate is named '\(row.lineage)' any more; its renewal schedule is removed")
            }
            current = found
            guard found.status == .issued, found.certificatePEM != nil else {
                schedule = try inventory.updateRenewalSchedule(claim) { record in
                    record.certificateID = found.id
                    record.dueAt = nil
                    record.recomputeNextAttempt()
                }
                return item(schedule, .noIssuedVersion, "has no issued version yet (a pending request); nothing to renew")
            }
            schedule = try plan(claim, current: found, stored: row, &context)
            let now = context.now
            if !forced {
                if let dueAt = schedule.dueAt, dueAt > now {
                    return item(schedule, .notDue, "not due until \(Self.time(dueAt)) (\(Self.describe(schedule)))")
                }
                if let until = schedule.backoffUntil, until > now {
                    return waiting(schedule, now: now)
                }
            }
            guard let issuerName = schedule.issuerName else {
                return try needsOperator(claim, schedule, current: found, forced: forced, &context)
            }
            schedule = try inventory.updateRenewalSchedule(claim) { $0.lastAttemptAt = Date() }
            // Owed before the new version exists: a gateway killed between storing it and deploying it leaves these
            // rows, and whoever comes next deploys the (then current) version. Cleared below if issuance fails.
            let autoDeploy = schedule.autoDeploy ?? context.defaults.autoDeploy
            if autoDeploy { try inventory.markDeployPending(lineage: row.lineage, certificateID: found.id) }
            let request = try RenewalIssuanceSettings(gateway: gateway).request(for: schedule, replacing: found)
            let result = try Issuers.named(issuerName, gateway: gateway).issue(request)
            guard let renewedClaim = try inventory.renewRenewalClaim(claim, duration: claimDuration) else {
                throw InventoryError.renewalClaimLost(lineage: row.lineage)
            }
            let renewed = result.certificate
            schedule = try plan(renewedClaim, current: renewed, stored: schedule, &context, after: true)
            schedule = try inventory.updateRenewalSchedule(renewedClaim) { record in
                record.lastOutcome = RenewalPassReport.Outcome.renewed.rawValue
                record.lastRenewedAt = Date()
            }
            gateway.audit(action: "cert.renew", subject: row.lineage, success: true,
                          detail: "issuer \(issuerName), version \(renewed.id) replaces \(found.id)"
                            + (forced ? " (forced)" : "") + ", next due \(schedule.dueAt.map(Self.time) ?? "-")")
            emit(.renewed, RenewalEventPayload(name: row.lineage, certificateId: renewed.id, previousCertificateId: found.id,
                                               issuer: issuerName, message: "renewed through issuer \(issuerName)",
                                               notAfter: renewed.notAfter, nextDueAt: schedule.dueAt), context,
                 dedupeKey: GatewayEvent.renewedKey(certificateID: renewed.id))
            var renewedItem = item(schedule, .renewed,
                                   "renewed through issuer \(issuerName): version \(renewed.id) (serial \(renewed.serial ?? "-")"
                                   + ", expires \(renewed.notAfter.map(Self.time) ?? "-")); next due \(schedule.dueAt.map(Self.time) ?? "-")")
            renewedItem.certificateId = found.id
            renewedItem.newCertificateId = renewed.id
            renewedItem.warnings = result.warnings
            renewedItem.deploy = deploy(row.lineage, version: renewed.id, schedule: schedule, context: context)
            return renewedItem
        } catch let error as InventoryError where error == .renewalClaimLost(lineage: row.lineage) {
            return item(schedule, .busy, "\(error)")
        } catch {
            if let current, (try? inventory.currentCertificate(lineage: row.lineage))??.id == current.id {
                // No new version: the deploy written down before issuing is not owed.
                try? inventory.clearUntriedDeploys(lineage: row.lineage, certificateID: current.id)
            }
            return failed(claim, schedule, current: current, error: error, &context)
        }
    }

    /// Plans the version `current` when the row asks for it (new lineage, new version, changed policy, ARI re-check).
    private func plan(_ claim: RenewalClaim, current: ManagedCertificateRecord, stored: RenewalScheduleRecord,
                      _ context: inout Context, after renewal: Bool = false) throws -> RenewalScheduleRecord {
        let inventory = context.inventory
        let fresh = try inventory.renewalSchedule(lineage: claim.lineage) ?? stored
        let newVersion = fresh.certificateID != current.id
        let now = Date()
        let ariDue = fresh.ariNextCheckAt.map { $0 <= now } ?? false
        guard newVersion || fresh.needsPlanning || fresh.dueAt == nil || ariDue || renewal else { return fresh }
        // The CA's renewal window (network, so outside the write transaction); a failure keeps what is known.
        var window: RenewalWindow?
        var windowChecked = false
        if fresh.issuerName != nil && (newVersion || ariDue || fresh.ariCheckedAt == nil) {
            window = try? ACMEIssuance(gateway: gateway).renewalWindow(current.id)
            windowChecked = true
        }
        let validity = Self.validity(of: current)
        var random = context.random
        let defaults = context.defaults
        let result = try inventory.updateRenewalSchedule(claim) { record in
            if record.certificateID != current.id {
                // A new version starts clean: no failures, no backoff, no window or choice of the old one.
                record.certificateID = current.id
                record.failures = 0
                record.errorClass = nil
                record.lastError = nil
                record.backoffUntil = nil
                record.ariWindowStart = nil
                record.ariWindowEnd = nil
                record.ariCheckedAt = nil
                record.ariNextCheckAt = nil
                record.chosenAt = nil
                record.notifiedCertificateID = nil
            }
            if windowChecked {
                record.ariCheckedAt = now
                record.ariWindowStart = window?.start
                record.ariWindowEnd = window?.end
                // RFC 9773 §4.3: ask again after Retry-After; within 1 hour to 1 day, 6 hours when the CA did not say.
                record.ariNextCheckAt = window.map { now.addingTimeInterval(min(max($0.retryAfter ?? 21_600, 3_600), 86_400)) }
            }
            guard let validity else {
                record.dueAt = nil
                record.recomputeNextAttempt()
                return
            }
            let ari = record.ariWindowStart.flatMap { start in record.ariWindowEnd.map { DateInterval(start: start, end: max($0, start)) } }
            let policy = RenewalPolicy(renewBeforeDays: record.renewBeforeDays ?? defaults.renewBeforeDays)
            let decision = policy.decide(notBefore: validity.start, notAfter: validity.end, ari: ari,
                                         previousChoice: record.chosenAt, using: &random)
            record.dueAt = decision.dueAt
            record.dueReason = decision.reason.rawValue + (decision.note.map { ": \($0)" } ?? "")
            record.emergencyAt = decision.emergencyAt
            record.chosenAt = decision.ariChoice ?? record.chosenAt
            record.recomputeNextAttempt()
        }
        context.random = random
        return result
    }

    private func needsOperator(_ claim: RenewalClaim, _ schedule: RenewalScheduleRecord, current: ManagedCertificateRecord,
                               forced: Bool, _ context: inout Context) throws -> RenewalPassReport.Item {
        let firstNotice = schedule.notifiedCertificateID != current.id
        let reminder = context.now.addingTimeInterval(operatorReminder)
        let updated = try context.inventory.updateRenewalSchedule(claim) { record in
            record.notifiedCertificateID = current.id
            record.lastOutcome = RenewalPassReport.Outcome.needsOperator.rawValue
            record.recomputeNextAttempt()
            if let next = record.nextAttemptAt, next < reminder { record.nextAttemptAt = reminder }
        }
        let left = current.notAfter.map { Self.remaining(until: $0, from: context.now) } ?? "unknown time"
        let message = "due since \(schedule.dueAt.map(Self.time) ?? "-") (\(left) left): it has no issuer (imported or "
            + "requested by hand), so the operator must bring the next version: og-host cert request field `name` \(schedule.lineage) … "
            + "then og-host cert import, or og-host cert issue \(schedule.lineage) field `issuer` NAME …"
        if firstNotice {
            gateway.audit(action: "cert.renew", subject: schedule.lineage, success: false, detail: "needs the operator: \(message)")
            do {
                _ = try context.inventory.recordEvent(try GatewayEvent.expiring(lineage: schedule.lineage, version: current))
            } catch {
                StandardStreams.error("warning: could not record the expiring event for \(schedule.lineage): \(error)\n")
            }
        }
        _ = forced
        return item(updated, .needsOperator, message)
    }

    private func failed(_ claim: RenewalClaim, _ schedule: RenewalScheduleRecord, current: ManagedCertificateRecord?,
                        error: any Error, _ context: inout Context) -> RenewalPassReport.Item {
        let (errorClass, retryAfter) = RenewalErrorClass.classify(error)
        let message = GatewayError.classify(error).message
        let now = Date()
        let emergency = schedule.emergencyAt.map { $0 <= now } ?? false
        let failures = schedule.failures + 1
        let wait = backoff.delay(errorClass, failures: failures, retryAfter: retryAfter, emergency: emergency,
                                 using: &context.random)
        let stored = try? context.inventory.updateRenewalSchedule(claim) { record in
            record.failures = failures
            record.errorClass = errorClass.rawValue
            record.lastError = message
            record.lastOutcome = RenewalPassReport.Outcome.failed.rawValue
            record.backoffUntil = now.addingTimeInterval(wait)
            if record.dueAt == nil { record.dueAt = now }
            record.recomputeNextAttempt()
        }
        gateway.audit(action: "cert.renew", subject: schedule.lineage, success: false,
                      detail: "\(errorClass.rawValue) (failure \(failures)): \(message)")
        emit(.renewalFailed, RenewalEventPayload(name: schedule.lineage, certificateId: current?.id, issuer: schedule.issuerName,
                                                 message: message, notAfter: current?.notAfter, errorClass: errorClass.rawValue,
                                                 attempts: failures, nextAttemptAt: now.addingTimeInterval(wait)), context,
             dedupeKey: GatewayEvent.renewalFailedKey(certificateID: current?.id, lineage: schedule.lineage,
                                                      issuer: schedule.issuerName))
        var result = item(stored ?? schedule, .failed, message + "; next attempt after "
                          + Self.time(now.addingTimeInterval(wait)) + " (\(errorClass.rawValue), failure \(failures))")
        result.errorClass = errorClass.rawValue
        result.failures = failures
        result.category = GatewayError.classify(error).category.rawValue
        return result
    }

    /// Auto-deploy: the new version to every binding through the deploy service (one child job per endpoint,
    /// each verified by handshake and rolled back on its own; the service records deployed/deploy-failed events).
    private func deploy(_ lineage: String, version: String, schedule: RenewalScheduleRecord,
                        context: Context) -> RenewalPassReport.DeploySummary {
        guard schedule.autoDeploy ?? context.defaults.autoDeploy else {
            return RenewalPassReport.DeploySummary(attempted: false, succeeded: true,
                                                   message: "auto-deploy is off; deploy it with og-host cert deploy \(lineage)")
        }
        do {
            guard !(try context.inventory.bindings(ofLineage: lineage)).isEmpty else {
                return RenewalPassReport.DeploySummary(attempted: false, succeeded: true,
                                                       message: "bound to no endpoint; nothing to deploy")
            }
            try context.inventory.markDeployPending(lineage: lineage, certificateID: version)
            let report = try CertificateDeployService(gateway: gateway).deploy(name: lineage)
            let rows = report.rows.map { "\($0.endpoint) \($0.outcome.rawValue)" + ($0.succeeded ? "" : " (\($0.message))") }
            var summary = RenewalPassReport.DeploySummary(
                attempted: true, succeeded: report.failed == 0,
                message: "\(report.succeeded) of \(report.rows.count) endpoint(s) installed and verified: " + rows.joined(separator: "; "))
            summary.category = report.category?.rawValue
            summary.endpoints = report.rows.map {
                RenewalPassReport.DeploySummary.Endpoint(endpoint: $0.endpoint, outcome: $0.outcome.rawValue, message: $0.message)
            }
            return summary
        } catch {
            DeployRetry.recordRefusal(lineage: lineage, error: error, inventory: context.inventory)
            let failure = GatewayError.classify(error)
            var summary = RenewalPassReport.DeploySummary(attempted: true, succeeded: false, message: failure.message)
            summary.category = failure.category.rawValue
            return summary
        }
    }

    /// Records an event in the outbox (the daemon delivers it). A failure to record is a warning, not the pass's failure.
    private func emit(_ kind: GatewayEvent.Kind, _ payload: RenewalEventPayload, _ context: Context, dedupeKey: String? = nil) {
        do {
            try context.inventory.recordEvent(try GatewayEvent(kind: kind, subject: payload.name, payload: payload,
                                                               dedupeKey: dedupeKey))
        } catch {
            StandardStreams.error("warning: could not record the \(kind.rawValue) event for \(payload.name): \(error)\n")
        }
    }

    // MARK: - Dry run

    private func dryRun(_ row: RenewalScheduleRecord, forced: Bool, _ context: inout Context) -> RenewalPassReport.Item {
        do {
            guard let current = try context.inventory.managedCertificate(matching: row.lineage), current.name == row.lineage else {
                return item(row, .removed, "no certificate is named '\(row.lineage)' any more; a pass would remove its schedule")
            }
            guard current.status == .issued, current.certificatePEM != nil else {
                return item(row, .noIssuedVersion, "has no issued version yet (a pending request); nothing to renew")
            }
            var schedule = row
            let newVersion = schedule.certificateID != current.id
            let ariDue = schedule.ariNextCheckAt.map { $0 <= Date() } ?? false
            if newVersion || schedule.needsPlanning || schedule.dueAt == nil || ariDue {
                if newVersion {
                    schedule.failures = 0
                    schedule.backoffUntil = nil
                    schedule.chosenAt = nil
                    schedule.ariWindowStart = nil
                    schedule.ariWindowEnd = nil
                }
                if schedule.issuerName != nil && (newVersion || ariDue || schedule.ariCheckedAt == nil) {
                    // Asking the CA for its window reads; it changes nothing here or there.
                    let window = try? ACMEIssuance(gateway: gateway).renewalWindow(current.id)
                    schedule.ariWindowStart = window?.start
                    schedule.ariWindowEnd = window?.end
                }
                if let validity = Self.validity(of: current) {
                    let ari = schedule.ariWindowStart.flatMap { start in
                        schedule.ariWindowEnd.map { DateInterval(start: start, end: max($0, start)) } }
                    let decision = RenewalPolicy(renewBeforeDays: schedule.renewBeforeDays ?? context.defaults.renewBeforeDays)
                        .decide(notBefore: validity.start, notAfter: validity.end, ari: ari, previousChoice: schedule.chosenAt,
                                using: &context.random)
                    schedule.dueAt = decision.dueAt
                    schedule.dueReason = decision.reason.rawValue + (decision.note.map { ": \($0)" } ?? "")
                }
                schedule.recomputeNextAttempt()
            }
            let now = context.now
            if !forced {
                if let dueAt = schedule.dueAt, dueAt > now {
                    return item(schedule, .notDue, "not due until \(Self.time(dueAt)) (\(Self.describe(schedule)))")
                }
                if let until = schedule.backoffUntil, until > now { return waiting(schedule, now: now) }
            }
            guard let issuerName = schedule.issuerName else {
                return item(schedule, .needsOperator, "due since \(schedule.dueAt.map(Self.time) ?? "-"): it has no issuer; "
                            + "the operator must bring the next version (cert request + cert import, or cert issue)")
            }
            let request = try RenewalIssuanceSettings(gateway: gateway).request(for: schedule, replacing: current)
            let names = ([request.commonName].compactMap { $0 } + request.dnsNames).joined(separator: ", ")
            return item(schedule, .wouldRenew, "would renew through issuer \(issuerName) (\(names)"
                        + (request.challenge.type.map { ", \($0)" } ?? "") + ")" + (forced ? ", forced" : ""))
        } catch {
            var result = item(row, .failed, "would fail: \(GatewayError.classify(error).message)")
            result.category = GatewayError.classify(error).category.rawValue
            return result
        }
    }

    // MARK: - Pieces

    private func waiting(_ row: RenewalScheduleRecord, now: Date) -> RenewalPassReport.Item {
        if row.issuerName == nil {
            return item(row, .needsOperator, "due since \(row.dueAt.map(Self.time) ?? "-"); waiting for the operator to bring "
                        + "the next version (reported; next reminder \(row.nextAttemptAt.map(Self.time) ?? "-"))")
        }
        var result = item(row, .backingOff, "backing off until \(row.backoffUntil.map(Self.time) ?? "-") after "
                          + "\(row.failures) failure(s) (\(row.errorClass ?? "-")): \(row.lastError ?? "-")")
        result.errorClass = row.errorClass
        result.failures = row.failures
        return result
    }

    private func item(_ row: RenewalScheduleRecord, _ outcome: RenewalPassReport.Outcome, _ message: String) -> RenewalPassReport.Item {
        RenewalPassReport.Item(name: row.lineage, outcome: outcome, message: message, issuer: row.issuerName,
                               certificateId: row.certificateID, dueAt: row.dueAt, dueReason: row.dueReason,
                               nextAttemptAt: row.nextAttemptAt, failures: row.failures > 0 ? row.failures : nil,
                               errorClass: row.errorClass)
    }

    static func validity(of certificate: ManagedCertificateRecord) -> DateInterval? {
        guard let pem = certificate.certificatePEM, let parsed = try? Certificate(pem: pem) else { return nil }
        return DateInterval(start: min(parsed.notBefore, parsed.notAfter), end: parsed.notAfter)
    }

    static func describe(_ schedule: RenewalScheduleRecord) -> String {
        let reason = schedule.dueReason ?? "-"
        if reason.hasPrefix(RenewalDecision.Reason.renewalInformation.rawValue) { return "inside the CA's renewal window" }
        if reason.hasPrefix(RenewalDecision.Reason.renewBeforeDays.rawValue) {
            return "\(schedule.renewBeforeDays.map(String.init) ?? "the default") days before expiry"
        }
        if reason.hasPrefix(RenewalDecision.Reason.emergency.rawValue) { return "emergency: under 1/20 of the lifetime left" }
        return "when a third of the lifetime remains, half for 10 days or less" + (reason.contains(":") ? "; " + reason : "")
    }

    static func time(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    static func remaining(until date: Date, from now: Date) -> String {
        let seconds = date.timeIntervalSince(now)
        if seconds <= 0 { return "expired" }
        if seconds >= 86_400 { return "\(Int(seconds / 86_400)) day(s)" }
        if seconds >= 3_600 { return "\(Int(seconds / 3_600)) hour(s)" }
        return "\(Int(seconds / 60)) minute(s)"
    }
}

/// The payload of the events a pass records in the outbox (never a secret: it goes to hooks and webhooks).
struct RenewalEventPayload: Encodable {
    var name: String
    var certificateId: String?
    var previousCertificateId: String?
    var issuer: String?
    var message: String
    var notAfter: Date?
    var nextDueAt: Date?
    var errorClass: String?
    /// renewal-failed: the failed attempts of the streak when the event was recorded.
    var attempts: Int?
    var nextAttemptAt: Date?
}

/// A RandomNumberGenerator over an injected word source.
struct WordRandom: RandomNumberGenerator {
    let word: @Sendable () -> UInt64
    mutating func next() -> UInt64 { word() }
}

/// What one pass did, lineage by lineage.
public struct RenewalPassReport: Sendable, Encodable {
    public enum Outcome: String, Sendable, Encodable {
        case renewed
        case wouldRenew = "would-renew"
        case needsOperator = "needs-operator"
        case failed
        case notDue = "not-due"
        case backingOff = "backing-off"
        case busy
        case noIssuedVersion = "no-issued-version"
        case removed
    }

    public struct DeploySummary: Sendable, Encodable {
        public struct Endpoint: Sendable, Encodable {
            public var endpoint: String
            public var outcome: String
            public var message: String
        }
        public var attempted: Bool
        public var succeeded: Bool
        public var message: String
        /// The gateway error category of a failed deploy (`partial` when some endpoints succeeded).
        public var category: String?
        public var endpoints: [Endpoint] = []

        init(attempted: Bool, succeeded: Bool, message: String) {
            self.attempted = attempted
            self.succeeded = succeeded
            self.message = message
        }
    }

    public struct Item: Sendable, Encodable {
        public var name: String
        public var outcome: Outcome
        public var message: String
        public var issuer: String?
        /// The version looked at (the one renewed, for a renewal).
        public var certificateId: String?
        public var newCertificateId: String?
        public var dueAt: Date?
        public var dueReason: String?
        public var nextAttemptAt: Date?
        public var failures: Int?
        public var errorClass: String?
        /// The gateway error category of a failure (what the exit code follows).
        public var category: String?
        public var warnings: [String] = []
        public var deploy: DeploySummary?
    }

    public struct Upcoming: Sendable, Encodable {
        public var name: String
        public var at: Date
        public var reason: String?
    }

    public var dryRun: Bool
    public var startedAt: Date
    public var finishedAt: Date?
    public var items: [Item] = []
    /// Lineages planned and not due (not listed one by one).
    public var notDue: Int = 0
    /// Deploys owed to bindings that this pass retried.
    public var deployRetries: [DeployRetry.Item] = []
    /// The next few due times.
    public var upcoming: [Upcoming] = []

    init(dryRun: Bool, startedAt: Date) {
        self.dryRun = dryRun
        self.startedAt = startedAt
    }

    /// True when a renewal (or its deploy) failed.
    public var hasFailures: Bool {
        items.contains { $0.outcome == .failed || $0.deploy?.succeeded == false } || deployRetries.contains { !$0.succeeded }
    }
}
