import Foundation
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
}

final class FailureLog: @unchecked Sendable {
    // Guarded by `lock`; appended to from concurrentPerform's threads.
    private var entries: [String] = []
    private let lock = NSLock()
    func append(_ message: String) { lock.withLock { entries.append(message) } }
    var messages: [String] { lock.withLock { entries } }
}
