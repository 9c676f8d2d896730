import Foundation
import OGInventory
import Testing

@Suite struct AuditTrailTests {
    private func record(_ action: String, _ subject: String, at seconds: TimeInterval,
                        outcome: AuditRecord.Outcome = .success) -> AuditRecord {
        AuditRecord(time: Date(timeIntervalSince1970: 1_800_000_000 + seconds), actor: "alice", action: action,
                    subject: subject, outcome: outcome, detail: "detail \(seconds)")
    }

    @Test func appendedRecordsComeBackNewestFirstWithIDs() throws {
        let fixture = try InventoryFixture()
        let first = try fixture.inventory.appendAudit(record("tls.add", "web1", at: 0))
        let second = try fixture.inventory.appendAudit(record("tls.install", "web1", at: 60, outcome: .failure))
        #expect(first.id != nil && second.id != nil && first.id != second.id)

        let listed = try fixture.inventory.auditRecords()
        #expect(listed == [second, first])
        #expect(listed.first?.outcome == .failure)
        #expect(listed.first?.actor == "alice")
        #expect(listed.first?.detail == "detail 60.0")
    }

    @Test func filtersBySubjectActionSinceAndLimit() throws {
        let fixture = try InventoryFixture()
        try fixture.inventory.appendAudit(record("tls.add", "web1", at: 0))
        try fixture.inventory.appendAudit(record("tls.add", "web2", at: 10))
        try fixture.inventory.appendAudit(record("tls.install", "web1", at: 20))
        try fixture.inventory.appendAudit(record("tls.install", "web1", at: 30))

        #expect(try fixture.inventory.auditRecords(AuditFilter(subject: "web2")).map(\.subject) == ["web2"])
        #expect(try fixture.inventory.auditRecords(AuditFilter(action: "tls.install")).count == 2)
        let since = Date(timeIntervalSince1970: 1_800_000_010)
        #expect(try fixture.inventory.auditRecords(AuditFilter(since: since)).map(\.detail)
                == ["detail 30.0", "detail 20.0", "detail 10.0"])
        #expect(try fixture.inventory.auditRecords(AuditFilter(subject: "web1", action: "tls.install", limit: 1))
                .map(\.detail) == ["detail 30.0"])
    }

    @Test func currentActorNamesTheUserAndTheSudoInvoker() {
        #expect(AuditRecord.currentActor(environment: [:], effectiveUserID: 0) == "root")
        #expect(AuditRecord.currentActor(environment: ["SUDO_USER": "alice"], effectiveUserID: 0)
                == "root (sudo by alice)")
        #expect(AuditRecord.currentActor(environment: [:], effectiveUserID: 4_000_000) == "uid 4000000")
    }
}
