import Foundation
import GRDB
import OGBasics
@testable import OGInventory
import OGTestSupport
import Testing

/// The renewal schedule in the inventory: rows follow the vault through
/// triggers, the due query is indexed and bounded, and claims keep two
/// gateways on one database from renewing one lineage twice.
@Suite struct RenewalScheduleInventoryTests {
    let directory: TemporaryDirectory
    let inventory: SQLiteInventory

    init() throws {
        directory = try TemporaryDirectory("og-renewal-schedule")
        inventory = try SQLiteInventory(path: directory.file("inventory.sqlite"))
    }

    static func issued(_ name: String?, notAfter: Date = Date().addingTimeInterval(90 * 86_400)) -> ManagedCertificateRecord {
        let fingerprint = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return ManagedCertificateRecord(name: name, keySpec: "ec-p256", subject: "CN=\(name ?? "x")", commonName: name,
                                        subjectAlternativeNames: [], csrPEM: nil, status: .issued, origin: .generated,
                                        certificatePEM: "-----BEGIN CERTIFICATE-----\n", serial: "01", notAfter: notAfter,
                                        fingerprint: fingerprint)
    }

    /// Plans `lineage` as the scheduler would: claim, set a due time, release.
    func plan(_ lineage: String, dueAt: Date, on inventory: SQLiteInventory? = nil) throws {
        let inventory = inventory ?? self.inventory
        let claim = try #require(try inventory.claimRenewal(lineage: lineage, owner: "test", duration: 60))
        try inventory.updateRenewalSchedule(claim) { record in
            record.dueAt = dueAt
            record.recomputeNextAttempt()
        }
        try inventory.releaseRenewalClaim(claim)
    }

    @Test func namedCertificatesGetARowMarkedForPlanningAndUnnamedOnesDoNot() throws {
        try inventory.addManagedCertificate(Self.issued("web"))
        try inventory.addManagedCertificate(Self.issued(nil))
        let rows = try inventory.renewalSchedules()
        #expect(rows.map(\.lineage) == ["web"])
        #expect(rows.first?.needsPlanning == true)
        #expect(rows.first?.issuerName == nil && rows.first?.autoDeploy == nil && rows.first?.failures == 0)
        #expect(try inventory.dueRenewals(at: Date(), limit: 10).map(\.lineage) == ["web"])
    }

    @Test func aNewVersionTakingTheNameOrARemovedCertificateMarksTheLineageForPlanningAgain() throws {
        let first = try inventory.addManagedCertificate(Self.issued("web"))
        try plan("web", dueAt: Date().addingTimeInterval(86_400))
        #expect(try inventory.renewalSchedule(lineage: "web")?.needsPlanning == false)
        #expect(try inventory.dueRenewals(at: Date(), limit: 10).isEmpty)
        // A new version is issued: the name moves to it (one transaction), and the lineage is re-planned.
        let (second, previous) = try inventory.saveIssuedVersion(Self.issued("web"))
        #expect(previous == first.id && second.name == "web")
        #expect(try inventory.renewalSchedule(lineage: "web")?.needsPlanning == true)
        try plan("web", dueAt: Date().addingTimeInterval(86_400))
        // An update that changes nothing the schedule depends on leaves the plan alone.
        var current = try #require(try inventory.managedCertificate(matching: "web"))
        current.subjectAlternativeNames = ["DNS:web.example"]
        try inventory.updateManagedCertificate(current)
        #expect(try inventory.renewalSchedule(lineage: "web")?.needsPlanning == false)
        try inventory.removeManagedCertificate("web")
        #expect(try inventory.renewalSchedule(lineage: "web") == nil, "the schedule went with its lineage")
    }

    @Test func theDueQueryIsIndexedOrderedAndBounded() throws {
        let now = Date()
        for index in 0..<20 {
            try inventory.addManagedCertificate(Self.issued("c\(index)"))
            try plan("c\(index)", dueAt: now.addingTimeInterval(TimeInterval(index - 10) * 3_600))
        }
        let due = try inventory.dueRenewals(at: now, limit: 100)
        #expect(due.map(\.lineage) == (0...10).map { "c\($0)" }, "due ones, soonest first, c10 exactly at now")
        #expect(try inventory.dueRenewals(at: now, limit: 3).map(\.lineage) == ["c0", "c1", "c2"])
        #expect(try inventory.notDueRenewalCount(at: now) == 9)
        #expect(try inventory.nextRenewals(limit: 2).map(\.lineage) == ["c0", "c1"])
        let plan = try inventory.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT * FROM renewalSchedule WHERE nextAttemptAt <= ? ORDER BY nextAttemptAt LIMIT 5
                """, arguments: [now]).map { $0["detail"] as String? ?? "" }
        }
        #expect(plan.contains { $0.contains("USING INDEX renewalSchedule_on_nextAttemptAt") }, "\(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "no sort: the index gives the order: \(plan)")
    }

    /// The deploy duty's "next due" is two ordered one-row reads along indexes (owed rows by next attempt;
    /// claimed lineages by claim end), never a sort or a MIN over the whole owed table; a claim that outlasts a
    /// lineage's owed deploy makes its end the answer.
    @Test func theNextOwedDeployIsFoundAlongIndexesAndWaitsForALiveClaim() throws {
        let endpoint = try inventory.addEndpoint(EndpointRecord(
            name: "web1", type: "nginx", pluginName: "nginx", connectionType: "ssh", host: "127.0.0.1", port: 22,
            user: "deploy", credential: nil, secretOptions: [:], options: #"{"configPath":"/etc/nginx/nginx.conf"}"#))
        let now = Date()
        for (index, name) in ["a", "b"].enumerated() {
            let version = try inventory.addManagedCertificate(Self.issued(name))
            _ = try inventory.bind(lineage: name, endpointID: endpoint.id, node: "", alias: nil)
            try inventory.markDeployPending(lineage: name, certificateID: version.id, endpointIDs: nil,
                                            at: now.addingTimeInterval(TimeInterval(index) * 60))
        }
        #expect(try inventory.nextDeployAttempt().map { abs($0.timeIntervalSince(now)) < 0.01 } == true, "a's, the soonest")
        // A claim on a outlasting b's attempt: b is next; a claim ending before b's attempt: its end is next.
        let long = try #require(try inventory.claimRenewal(lineage: "a", owner: "A", duration: 600, now: now))
        #expect(try inventory.nextDeployAttempt().map { abs($0.timeIntervalSince(now.addingTimeInterval(60))) < 0.01 } == true)
        try inventory.releaseRenewalClaim(long)
        let short = try #require(try inventory.claimRenewal(lineage: "a", owner: "A", duration: 30, now: now))
        #expect(try inventory.nextDeployAttempt().map { abs($0.timeIntervalSince(short.expiresAt)) < 0.01 } == true)
        try inventory.releaseRenewalClaim(short)
        try inventory.recordDeploySucceeded(lineage: "a", endpointID: endpoint.id)
        try inventory.recordDeploySucceeded(lineage: "b", endpointID: endpoint.id)
        #expect(try inventory.nextDeployAttempt() == nil)

        for query in [SQLiteInventory.nextUnheldDeployQuery, SQLiteInventory.nextHeldDeployQuery] {
            let plan = try inventory.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + query).map { $0["detail"] as String? ?? "" }
            }
            #expect(plan.contains { $0.contains("bindingDeploy_on_nextAttemptAt") || $0.contains("renewalSchedule_on_claimExpiresAt") },
                    "\(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "no sort: the index gives the order: \(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN") && !$0.contains("INDEX") }, "no full scan: \(plan)")
        }
    }

    @Test func policyChangesAreStoredAndMarkTheLineageForPlanning() throws {
        try inventory.addManagedCertificate(Self.issued("web"))
        try plan("web", dueAt: Date().addingTimeInterval(86_400))
        let changed = try inventory.setRenewalPolicy(lineage: "web", renewBeforeDays: .some(30), autoDeploy: .some(false))
        #expect(changed.renewBeforeDays == 30 && changed.autoDeploy == false && changed.needsPlanning)
        try plan("web", dueAt: Date().addingTimeInterval(86_400))
        // Only what is given changes; .some(nil) returns to the default.
        let back = try inventory.setRenewalPolicy(lineage: "web", renewBeforeDays: .some(nil))
        #expect(back.renewBeforeDays == nil && back.autoDeploy == false)

        try inventory.recordIssuanceSettings(lineage: "web", issuerName: "pebble", settings: ["cn": "web.example", "challenge": "http-01"])
        let recorded = try #require(try inventory.renewalSchedule(lineage: "web"))
        #expect(recorded.issuerName == "pebble" && recorded.settings == ["cn": "web.example", "challenge": "http-01"])
        #expect(recorded.issuanceSettings == #"{"challenge":"http-01","cn":"web.example"}"#)

        // Defaults: lineages that follow them are re-planned, others not.
        try inventory.addManagedCertificate(Self.issued("api"))
        try plan("api", dueAt: Date().addingTimeInterval(86_400))
        try inventory.setRenewalPolicy(lineage: "web", renewBeforeDays: .some(14))
        try plan("web", dueAt: Date().addingTimeInterval(86_400))
        #expect(try inventory.renewalDefaults().renewBeforeDays == nil && inventory.renewalDefaults().autoDeploy)
        let defaults = try inventory.setRenewalDefaults(renewBeforeDays: .some(20), autoDeploy: false)
        #expect(defaults.renewBeforeDays == 20 && !defaults.autoDeploy)
        #expect(try inventory.renewalSchedule(lineage: "api")?.needsPlanning == true)
        #expect(try inventory.renewalSchedule(lineage: "web")?.needsPlanning == false)
    }

    @Test func stateSurvivesReopeningTheDatabase() throws {
        try inventory.addManagedCertificate(Self.issued("web"))
        let claim = try #require(try inventory.claimRenewal(lineage: "web", owner: "test", duration: 60))
        let until = Date().addingTimeInterval(3_600)
        try inventory.updateRenewalSchedule(claim) { record in
            record.dueAt = Date().addingTimeInterval(-60)
            record.failures = 2
            record.errorClass = "rate-limited"
            record.lastError = "rateLimited: too many"
            record.backoffUntil = until
            record.recomputeNextAttempt()
        }
        try inventory.releaseRenewalClaim(claim)
        let reopened = try SQLiteInventory(path: inventory.path)
        let row = try #require(try reopened.renewalSchedule(lineage: "web"))
        #expect(row.failures == 2 && row.errorClass == "rate-limited" && row.lastError == "rateLimited: too many")
        #expect(abs(row.backoffUntil!.timeIntervalSince(until)) < 0.002 && row.nextAttemptAt == row.backoffUntil)
        #expect(try reopened.dueRenewals(at: Date(), limit: 10).isEmpty, "backing off")
        #expect(try reopened.waitingRenewals(at: Date(), limit: 10).map(\.lineage) == ["web"])
        #expect(try reopened.dueRenewals(at: until.addingTimeInterval(1), limit: 10).map(\.lineage) == ["web"])
    }

    @Test func twoGatewaysOnOneDatabaseNeverClaimOneLineageTwice() throws {
        let other = try SQLiteInventory(path: inventory.path)
        try inventory.addManagedCertificate(Self.issued("web"))
        let now = Date()
        #expect(try other.dueRenewals(at: now, limit: 10).map(\.lineage) == ["web"])
        let mine = try #require(try inventory.claimRenewal(lineage: "web", owner: "gateway A", duration: 60, now: now))
        #expect(try other.claimRenewal(lineage: "web", owner: "gateway B", duration: 60, now: now) == nil)
        #expect(try other.dueRenewals(at: now, limit: 10).isEmpty, "a claimed lineage is not offered")
        #expect(try other.renewalSchedule(lineage: "web")?.claimedBy == "gateway A")
        // A's claim expires (A hung); B takes over and A's writes are refused from then on.
        let later = now.addingTimeInterval(61)
        let theirs = try #require(try other.claimRenewal(lineage: "web", owner: "gateway B", duration: 60, now: later))
        let lost = #expect(throws: InventoryError.self) {
            try inventory.updateRenewalSchedule(mine) { $0.lastOutcome = "renewed" }
        }
        #expect(lost == .renewalClaimLost(lineage: "web"))
        #expect(try inventory.renewRenewalClaim(mine, duration: 60, now: later) == nil)
        try inventory.releaseRenewalClaim(mine)
        #expect(try inventory.renewalSchedule(lineage: "web")?.claimedBy == "gateway B", "A's release does not free B's claim")
        let extended = try #require(try other.renewRenewalClaim(theirs, duration: 600, now: later))
        #expect(extended.expiresAt > theirs.expiresAt)
        try other.updateRenewalSchedule(theirs) { $0.lastOutcome = "renewed" }
        try other.releaseRenewalClaim(theirs)
        #expect(try inventory.renewalSchedule(lineage: "web")?.claimedBy == nil)
        #expect(try inventory.renewalSchedule(lineage: "web")?.lastOutcome == "renewed")
    }

    @Test func racingClaimsFromTwoInventoriesOnOneFileEachWinALineageOnce() throws {
        let other = try SQLiteInventory(path: inventory.path)
        let names = (0..<40).map { "race\($0)" }
        for name in names { try inventory.addManagedCertificate(Self.issued(name)) }
        let wins = LockedCounter()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            let mine = worker % 2 == 0 ? inventory : other
            for name in names {
                if let claim = try? mine.claimRenewal(lineage: name, owner: "worker \(worker)", duration: 600) {
                    wins.add(name, claim.owner)
                }
            }
        }
        #expect(wins.claims.count == names.count, "every lineage claimed")
        #expect(wins.claims.values.allSatisfy { $0.count == 1 }, "and each exactly once: \(wins.claims.filter { $0.value.count > 1 })")
    }
}

final class LockedCounter: Sendable {
    private let claimed = Locked<[String: [String]]>([:])
    var claims: [String: [String]] { claimed.withLock { $0 } }
    func add(_ name: String, _ owner: String) {
        claimed.withLock { $0[name, default: []].append(owner) }
    }
}
