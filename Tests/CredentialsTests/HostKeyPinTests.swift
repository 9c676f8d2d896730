import Foundation
import OGInventory
import Testing

@Suite struct HostKeyPinTests {
    @Test func pinIsAbsentUntilSetAndAReplacementWins() throws {
        let fixture = try InventoryFixture()
        #expect(try fixture.inventory.hostKeyPin(host: "10.0.0.5", port: 22) == nil)

        try fixture.inventory.setHostKeyPin(HostKeyPin(host: "10.0.0.5", port: 22, fingerprint: "SHA256:first"))
        try fixture.inventory.setHostKeyPin(HostKeyPin(host: "10.0.0.5", port: 2222, fingerprint: "SHA256:other"))
        #expect(try fixture.inventory.hostKeyPin(host: "10.0.0.5", port: 22)?.fingerprint == "SHA256:first")

        try fixture.inventory.setHostKeyPin(HostKeyPin(host: "10.0.0.5", port: 22, fingerprint: "SHA256:second"))
        #expect(try fixture.inventory.hostKeyPin(host: "10.0.0.5", port: 22)?.fingerprint == "SHA256:second")
        #expect(try fixture.inventory.hostKeyPin(host: "10.0.0.5", port: 2222)?.fingerprint == "SHA256:other")
    }
}
