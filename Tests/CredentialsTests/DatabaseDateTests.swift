import Foundation
import GRDB
@testable import OGInventory
import OGTestSupport
import Testing

/// `DatabaseDate` reads and writes the inventory's dates without GRDB's
/// calendar and formatter, and must give exactly what GRDB gives: a date read
/// back is compared with `==` (a lease with the one its job holds), so one
/// unit in the last place is a failure. Each case is checked against GRDB's own
/// conversion, over fixed pseudo-random samples (the same every run).
@Suite struct DatabaseDateTests {
    static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    @Test func storedTextReadsAsTheDateGRDBReads() {
        var samples = SeededRandom(1)
        var texts = ["1970-01-01 00:00:00.000", "9999-12-31 23:59:59.999", "2000-02-29 12:00:00.500", "2026-12-06 19:00:20.754",
                     "2100-02-28 23:59:59.001", "2026-02-30 10:00:00.000"]
        for _ in 0..<20_000 {
            let year = Int.random(in: 1970...9999, using: &samples)
            texts.append("\(Self.digits(year, 4))-\(Self.digits(Int.random(in: 1...12, using: &samples), 2))-"
                         + "\(Self.digits(Int.random(in: 1...31, using: &samples), 2)) "
                         + "\(Self.digits(Int.random(in: 0...23, using: &samples), 2)):\(Self.digits(Int.random(in: 0...59, using: &samples), 2)):"
                         + "\(Self.digits(Int.random(in: 0...59, using: &samples), 2)).\(Self.digits(Int.random(in: 0...999, using: &samples), 3))")
        }
        var mismatches: [String] = []
        for text in texts {
            let mine = DatabaseDate.date(text)
            let grdb = Date.fromDatabaseValue(text.databaseValue)
            if mine == nil || mine != grdb { mismatches.append("\(text): \(String(describing: mine)) vs \(String(describing: grdb))") }
        }
        let count = mismatches.count
        #expect(count == 0, "\(mismatches.prefix(5))")
    }

    @Test func datesAreWrittenAsGRDBWritesThem() {
        var samples = SeededRandom(2)
        var dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 0.0005), Date(timeIntervalSince1970: 0.0015),
                     Date(timeIntervalSince1970: 86_399.9995), Date(timeIntervalSince1970: 253_402_300_799.999), Date()]
        for index in 0..<20_000 {
            let seconds = Double.random(in: 0..<253_402_300_800, using: &samples)
            switch index % 4 {
            case 0: dates.append(Date(timeIntervalSince1970: seconds))
            case 1: // near midnight, where the day and the rounding meet
                dates.append(Date(timeIntervalSince1970: (seconds / 86400).rounded() * 86400 + Double.random(in: -0.002...0.002, using: &samples)))
            case 2: // half a millisecond, where the rounding direction shows
                dates.append(Date(timeIntervalSince1970: (seconds * 1000).rounded(.down) / 1000 + 0.0005))
            default: dates.append(Date(timeIntervalSinceNow: Double.random(in: -1e8...1e8, using: &samples)))
            }
        }
        var mismatches: [String] = []
        for date in dates {
            let mine = DatabaseDate.text(date)
            let grdb = String.fromDatabaseValue(date.databaseValue)
            if mine != grdb { mismatches.append("\(date.timeIntervalSinceReferenceDate): \(mine) vs \(grdb ?? "nil")") }
        }
        let count = mismatches.count
        #expect(count == 0, "\(mismatches.prefix(5))")
    }

    @Test func anythingElseIsReadByGRDB() throws {
        // Shapes GRDB reads that the fast path does not: it declines them, and the row decoder hands them to GRDB.
        for text in ["2026-12-06", "2026-12-06 19:00", "2026-12-06 19:00:20", "2026-12-06T19:00:20.754", "2026-12-06 19:00:20.754Z",
                     "2026-12-06 19:00:20.7541", "1969-12-31 23:59:59.999", "0999-01-01 00:00:00.000", "2026-13-01 00:00:00.000", ""] {
            #expect(DatabaseDate.date(text) == nil, "\(text)")
        }
        let queue = try DatabaseQueue()
        try queue.read { db in
            let row = try #require(try Row.fetchOne(db, sql: "SELECT '2026-12-06', 1700000000.25, '2026-12-06T19:00:20.754', NULL, 'no date'"))
            #expect(try DatabaseDate.decode(row, atIndex: 0) == Date.fromDatabaseValue("2026-12-06".databaseValue))
            #expect(try DatabaseDate.decode(row, atIndex: 1) == Date(timeIntervalSince1970: 1_700_000_000.25))
            #expect(try DatabaseDate.decode(row, atIndex: 2) == Date.fromDatabaseValue("2026-12-06T19:00:20.754".databaseValue))
            #expect(try DatabaseDate.decodeIfPresent(row, atIndex: 3) == nil)
            #expect(throws: (any Error).self) { try DatabaseDate.decode(row, atIndex: 3) }
            #expect(throws: (any Error).self) { try DatabaseDate.decode(row, atIndex: 4) }
        }
        // Outside 1970–9999 the text is GRDB's.
        let early = Date(timeIntervalSince1970: -86_400.25)
        #expect(DatabaseDate.text(early) == String.fromDatabaseValue(early.databaseValue))
    }

    /// The rows the install path reads column by column equal what GRDB's Codable decoding reads from them.
    @Test func recordsReadByColumnEqualTheirCodableDecoding() throws {
        let fixture = try InventoryFixture()
        let inventory = fixture.sqlite
        try inventory.addCredentialStore(CredentialStoreRecord(name: "vault1", kind: .local, settings: "{}"))
        var endpoint = InventoryFixture.endpoint("web1")
        endpoint.port = 8443
        endpoint.user = "deploy"
        endpoint.credential = CredentialReference(store: "vault1", id: "c1")
        endpoint.secretOptions = ["store_password": CredentialReference(store: "vault1", id: "s0"),
                                  "key_password": CredentialReference(store: "vault1", id: "s1")]
        let added = try inventory.addEndpoint(endpoint)
        var bareEndpoint = InventoryFixture.endpoint("web2")
        bareEndpoint.port = nil
        bareEndpoint.user = nil
        let bare = try inventory.addEndpoint(bareEndpoint)
        let anchorA = TrustAnchorRecord(fingerprint: String(repeating: "ab", count: 32), name: "zeta", subject: "CN=Z",
                                        notAfter: Date(timeIntervalSince1970: 2_000_000_000.123), pem: "-----BEGIN CERTIFICATE-----\nA\n")
        let anchorB = TrustAnchorRecord(fingerprint: String(repeating: "cd", count: 32), name: "alpha", subject: "CN=A",
                                        notAfter: Date(), pem: "-----BEGIN CERTIFICATE-----\nB\n")
        try inventory.addTrustAnchor(anchorA)
        try inventory.addTrustAnchor(anchorB)
        let owner = JobOwner.current(gatewayID: try inventory.gatewayID())
        guard case .acquired(let lease, nil) = try inventory.acquireEndpointLease(endpointID: added.id, jobID: "job-1", kind: "install",
                                                                                   owner: owner, duration: 30) else {
            Issue.record("endpoint busy")
            return
        }
        try inventory.releaseEndpointLease(lease)
        guard case .acquired(let second, let tookOver) = try inventory.acquireEndpointLease(endpointID: added.id, jobID: "job-2",
                                                                                            kind: "restart", owner: owner, duration: 60) else {
            Issue.record("endpoint busy")
            return
        }
        #expect(tookOver == nil && second.fencingToken == lease.fencingToken + 1 && second.kind == "restart")

        let begun = try inventory.beginInstall(lease: second, state: .backingUp, payload: #"{"a":1}"#)
        let written = try inventory.updateInstall(jobID: "job-2", lease: second, state: .written, payload: #"{"a":2}"#)
        let audited = try inventory.appendAudit(AuditRecord(action: "tls.install", subject: "web1", outcome: .failure, detail: "d"))
        #expect(begun.typedState == .backingUp && written.typedState == .written && written.startedAt == begun.startedAt)
        #expect(audited.id != nil && audited.outcome == .failure && audited.detail == "d")

        let queue = try DatabaseQueue(path: fixture.path)
        try queue.read { db in
            #expect(try InstallJournalEntry.fetchOne(db, key: "job-2") == written)
            #expect(try inventory.installJob("job-2") == written)
            #expect(try inventory.unfinishedInstalls(endpointID: added.id) == [written])
            #expect(try AuditRecord.fetchOne(db, key: audited.id) == audited)
            #expect(try inventory.credentialStore(named: "vault1") == CredentialStoreRecord.fetchOne(db, key: "vault1"))
            #expect(try inventory.credentialStore(named: "default") == CredentialStoreRecord.fetchOne(db, key: "default"))
            #expect(try inventory.credentialStore(named: "none") == nil)
            for record in [added, bare] {
                let decoded = try #require(try EndpointRecord.fetchOne(db, key: record.id))
                #expect(try inventory.endpoint(matching: record.id) == decoded)
                #expect(try inventory.endpoint(matching: record.name) == decoded)
                #expect(decoded == record)
            }
            #expect(try inventory.trustAnchors() == TrustAnchorRecord.order(Column("name")).fetchAll(db))
            #expect(try inventory.trustAnchors().map(\.name) == ["alpha", "zeta"])
            let row = try #require(try EndpointLeaseRow.fetchOne(db, key: added.id))
            #expect(row.lease == second)
            #expect(try inventory.endpointLease(added.id) == second)
        }
        #expect(throws: InventoryError.self) { try inventory.endpoint(matching: "missing") }
    }
}
