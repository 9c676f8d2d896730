import Foundation
import OGInventory
import OGTestSupport
import Testing

/// The inventory (audit trail, endpoints, pins) is readable by its owner only,
/// even in a data directory that others may list.
@Suite struct InventoryPermissionTests {
    func mode(_ path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o777 : 0
    }

    @Test func newInventoryAndItsWriteAheadLogAreOwnerOnly() throws {
        let directory = try TemporaryDirectory("og-inventory-mode")
        chmod(directory.path, 0o755)
        let path = directory.file("inventory.sqlite")
        let inventory = try SQLiteInventory(path: path)
        try inventory.addEndpoint(InventoryFixture.endpoint("web1"))
        #expect(mode(path) == 0o600)
        for companion in [path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: companion) {
            #expect(mode(companion) & 0o077 == 0, "\(companion) is \(String(mode(companion), radix: 8))")
        }
    }

    @Test func existingWorldReadableInventoryIsNarrowed() throws {
        let directory = try TemporaryDirectory("og-inventory-mode")
        let path = directory.file("inventory.sqlite")
        _ = try SQLiteInventory(path: path)
        chmod(path, 0o644)
        _ = try SQLiteInventory(path: path)
        #expect(mode(path) == 0o600)
    }
}
