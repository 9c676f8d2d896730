import Foundation
import GRDB
@testable import OGInventory
import OGTestSupport
import Testing

@Suite struct InventorySchemaTests {
    @Test func migrationsFromEmptyCreateEveryTableAndTheDefaultStore() throws {
        let fixture = try InventoryFixture()
        // Later migrations (one per feature, registered at the end) follow these, in order.
        let applied = try fixture.inventory.appliedMigrations
        #expect(Array(applied.prefix(8)) == [
            "1-credential-stores", "2-endpoints", "3-audit", "4-host-key-pins", "5-install-journal", "6-certificates", "acme-issuers-and-orders", "job-ownership",
        ])
        #expect(applied.contains("event-outbox"))
        #expect(applied.contains("certificate-lineage"))
        #expect(applied.contains("renewal-schedule"))
        #expect(applied.contains("acme-order-answered-challenges"))
        let stores = try fixture.inventory.credentialStores()
        #expect(stores.map(\.name) == ["default"])
        #expect(stores.first?.kind == .local)
        #expect(try fixture.inventory.endpoints().isEmpty)
        #expect(try fixture.inventory.auditRecords().isEmpty)
        #expect(try fixture.inventory.unfinishedInstalls().isEmpty)
    }

    @Test func schemaVersionCountsAppliedMigrationsAndSurvivesReopening() throws {
        let fixture = try InventoryFixture()
        let version = try fixture.inventory.schemaVersion
        #expect(version == InventorySchema.migrator.migrations.count)
        try fixture.inventory.addEndpoint(InventoryFixture.endpoint("web1"))
        let reopened = try SQLiteInventory(path: fixture.path)
        #expect(try reopened.schemaVersion == version)
        #expect(try reopened.endpoints().map(\.name) == ["web1"])
        #expect(try reopened.credentialStores().count == 1)
    }

    @Test func databaseWrittenByANewerVersionIsRefusedWithAnUpgradeHint() throws {
        let fixture = try InventoryFixture()
        try fixture.sqlite.pool.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('99-from-the-future')")
        }
        let error = #expect(throws: InventoryError.self) { try SQLiteInventory(path: fixture.path) }
        #expect(error == .databaseFromNewerVersion(path: fixture.path, unknownMigrations: ["99-from-the-future"]))
        #expect(error?.description.contains("upgrade og-host") == true)
    }

    @Test func fileThatIsNotADatabaseIsReportedWithItsPath() throws {
        let directory = try TemporaryDirectory("og-inventory")
        let path = directory.file("inventory.sqlite")
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: InventoryError.self) { try SQLiteInventory(path: path) }
        #expect(error?.description.hasPrefix(path) == true)
        #expect(error?.description.contains("restore it from a backup") == true)
    }
}
