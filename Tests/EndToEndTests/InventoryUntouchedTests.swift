import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Commands that only read leave `inventory.sqlite` alone: not a byte, not
/// its modification time (GRDB's WAL set-up used to write on every open, and
/// the checkpoint on close rewrote the file, so backups saw a change after
/// every `tls list`). Commands that change something still write it.
@Suite struct InventoryUntouchedTests {
    @Test func readingCommandsDoNotRewriteTheInventory() throws {
        let fixture = try GatewayFixture(plugins: ["keystore"])
        let first = try fixture.run(["tls", "list"])
        try #require(first.exitStatus == 0, "\(first.standardErrorText)")
        let path = fixture.dataDirectory + "/inventory.sqlite"
        let bytes = try LocalFiles.read(path)
        var before = stat()
        try #require(stat(path, &before) == 0)
        usleep(20_000)
        for arguments in [["tls", "list"], ["tls", "list", "--output", "json"], ["cert", "list"], ["audit"], ["ca", "list"]] {
            let result = try fixture.run(arguments)
            #expect(result.exitStatus == 0, "\(arguments): \(result.standardErrorText)")
        }
        var after = stat()
        try #require(stat(path, &after) == 0)
        #expect(try LocalFiles.read(path) == bytes, "a reading command changed inventory.sqlite")
        #expect(after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec,
                "a reading command rewrote inventory.sqlite")

        // A command that changes the inventory still writes it, and what it wrote is read back.
        let request = try fixture.run(["cert", "request", "--name", "kept", "--cn", "kept.example.test", "--key", "ec-p256",
                                       "--out", "-"])
        #expect(request.exitStatus == 0, "\(request.standardErrorText)")
        #expect(try LocalFiles.read(path) != bytes)
        let listed = try fixture.run(["cert", "list"])
        #expect(listed.standardOutputText.contains("kept"), "\(listed.standardOutputText)")
    }
}
