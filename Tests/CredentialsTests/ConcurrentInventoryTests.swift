import Foundation
import GRDB
import OGBasics
@testable import OGInventory
import OGTestSupport
import Testing

/// Separate `Inventory` values have separate connection pools, so for SQLite
/// they are as separate as two og-host processes: each takes the file's locks
/// through its own connections.
@Suite struct ConcurrentInventoryTests {
    @Test func writersWithSeparatePoolsOnOneFileLoseNothing() throws {
        let directory = try TemporaryDirectory("og-inventory")
        let path = directory.file("inventory.sqlite")
        let writers = 4
        let endpointsPerWriter = 25
        let failures = FailureLog()

        // The pools open the brand-new file at the same time, so this also
        // covers concurrent schema migration.
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            do {
                let inventory = try SQLiteInventory(path: path)
                for index in 0..<endpointsPerWriter {
                    let name = "w\(writer)-e\(index)"
                    try inventory.addEndpoint(InventoryFixture.endpoint(name))
                    try inventory.appendAudit(AuditRecord(action: "tls.add", subject: name, outcome: .success))
                }
            } catch {
                failures.append("writer \(writer): \(error)")
            }
        }

        #expect(failures.messages.isEmpty, "\(failures.messages)")
        let inventory = try SQLiteInventory(path: path)
        #expect(try inventory.schemaVersion == InventorySchema.migrator.migrations.count)
        let names = Set(try inventory.endpoints().map(\.name))
        #expect(names.count == writers * endpointsPerWriter)
        #expect(try inventory.auditRecords().count == writers * endpointsPerWriter)
        #expect(try inventory.credentialStores().map(\.name) == ["default"])
    }

    @Test func racingWritersOfOneNameGetExactlyOneSuccess() throws {
        let directory = try TemporaryDirectory("og-inventory")
        let path = directory.file("inventory.sqlite")
        _ = try SQLiteInventory(path: path)
        let outcomes = FailureLog()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                try SQLiteInventory(path: path).addEndpoint(InventoryFixture.endpoint("contested"))
                outcomes.append("added")
            } catch let error as InventoryError {
                outcomes.append(error == .nameTaken("contested") ? "taken" : "\(error)")
            } catch {
                outcomes.append("\(error)")
            }
        }
        #expect(outcomes.messages.sorted() == ["added", "taken", "taken", "taken"])
    }

    /// A writer waiting for another naps at most 5 ms between tries, and gives
    /// up (SQLITE_BUSY, reported as a stuck process) after `busyTimeout` of naps.
    @Test func aBusyWriterNapsBrieflyAndGivesUpAfterTheTimeout() {
        var naps: [Int] = []
        while let nap = SQLiteInventory.busyNap(afterTries: naps.count) { naps.append(nap) }
        #expect(Array(naps.prefix(6)) == [1, 1, 2, 2, 5, 5])
        #expect(naps.allSatisfy { $0 >= 1 && $0 <= 5 })
        let total = naps.reduce(0, +)
        #expect(total >= Int(SQLiteInventory.busyTimeout * 1000) && total < Int(SQLiteInventory.busyTimeout * 1000) + 5)
        #expect(!SQLiteInventory.waitForOtherWriter(tries: naps.count))
    }

    /// A write that finds another process's IMMEDIATE transaction open waits
    /// for it and then commits, losing neither write.
    @Test func aWriterWaitsForAnotherProcesssOpenTransaction() throws {
        let directory = try TemporaryDirectory("og-inventory")
        let path = directory.file("inventory.sqlite")
        let holder = try SQLiteInventory(path: path)
        let waiter = try SQLiteInventory(path: path)
        let started = DispatchSemaphore(value: 0)
        let failures = FailureLog()
        let holding = Thread {
            do {
                try holder.write { db in
                    var first = AuditRecord(action: "tls.add", subject: "first", outcome: .success)
                    try first.insert(db)
                    started.signal()
                    usleep(200_000)
                }
            } catch {
                failures.append("holder: \(error)"); started.signal()
            }
        }
        holding.start()
        started.wait()
        try waiter.appendAudit(AuditRecord(action: "tls.add", subject: "second", outcome: .success))
        #expect(failures.messages.isEmpty, "\(failures.messages)")
        #expect(try waiter.auditRecords().sorted { $0.id! < $1.id! }.map(\.subject) == ["first", "second"])
    }
}

final class FailureLog: @unchecked Sendable {
    // Guarded by `lock`; appended to from concurrentPerform's threads.
    private var entries: [String] = []
    private let lock = Locked()
    func append(_ message: String) { lock.withLock { entries.append(message) } }
    var messages: [String] { lock.withLock { entries } }
}
