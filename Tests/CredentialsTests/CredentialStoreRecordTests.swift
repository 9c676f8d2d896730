import Foundation
import OGInventory
import Testing

@Suite struct CredentialStoreRecordTests {
    @Test func storesCanBeAddedUpdatedListedAndRemoved() throws {
        let fixture = try InventoryFixture()
        let added = try fixture.inventory.addCredentialStore(
            CredentialStoreRecord(name: "vault", kind: .hashicorp, settings: #"{"address":"https://127.0.0.1:8200"}"#))
        #expect(try fixture.inventory.credentialStores().map(\.name) == ["default", "vault"])
        #expect(try fixture.inventory.credentialStore(named: "vault") == added)

        var changed = added
        changed.settings = #"{"address":"https://127.0.0.1:8300"}"#
        try fixture.inventory.updateCredentialStore(changed)
        #expect(try fixture.inventory.credentialStore(named: "vault")?.settings == changed.settings)

        try fixture.inventory.removeCredentialStore(named: "vault")
        #expect(try fixture.inventory.credentialStores().map(\.name) == ["default"])
    }

    @Test func duplicateStoreNameIsRefused() throws {
        let fixture = try InventoryFixture()
        let error = #expect(throws: InventoryError.self) {
            try fixture.inventory.addCredentialStore(CredentialStoreRecord(name: "default", kind: .local))
        }
        #expect(error == .credentialStoreNameTaken("default"))
    }

    @Test(arguments: ["../escape", ".hidden", "has space", ""])
    func storeNameThatCannotBeAFileNameIsRefused(name: String) throws {
        let fixture = try InventoryFixture()
        let error = #expect(throws: InventoryError.self) {
            try fixture.inventory.addCredentialStore(CredentialStoreRecord(name: name, kind: .local))
        }
        #expect(error?.description.hasPrefix("credential store name:") == true)
    }

    @Test func defaultStoreCannotBeRemovedOrMadeExternal() throws {
        let fixture = try InventoryFixture()
        let removal = #expect(throws: InventoryError.self) {
            try fixture.inventory.removeCredentialStore(named: "default")
        }
        #expect(removal == .defaultStoreIsBuiltIn(operation: "removed"))
        let change = #expect(throws: InventoryError.self) {
            try fixture.inventory.updateCredentialStore(CredentialStoreRecord(name: "default", kind: .cyberark))
        }
        #expect(change?.description.contains("always local") == true)
        #expect(try fixture.inventory.credentialStore(named: "default")?.kind == .local)
    }

    @Test func storeReferencedByEndpointsCannotBeRemovedAndTheErrorListsThem() throws {
        let fixture = try InventoryFixture()
        try fixture.inventory.addCredentialStore(CredentialStoreRecord(name: "vault", kind: .hashicorp))
        try fixture.inventory.addEndpoint(InventoryFixture.endpoint(
            "web2", credential: CredentialReference(store: "vault", id: "ssh-web2")))
        try fixture.inventory.addEndpoint(InventoryFixture.endpoint(
            "keystore1", secretOptions: ["storePassword": CredentialReference(store: "vault", id: "ks")]))
        try fixture.inventory.addEndpoint(InventoryFixture.endpoint(
            "unrelated", credential: CredentialReference(store: "default", id: "x")))

        let error = #expect(throws: InventoryError.self) {
            try fixture.inventory.removeCredentialStore(named: "vault")
        }
        #expect(error == .credentialStoreInUse(store: "vault", endpoints: ["keystore1", "web2"]))
        #expect(error?.description.contains("keystore1, web2") == true)

        try fixture.inventory.removeEndpoint("web2")
        try fixture.inventory.removeEndpoint("keystore1")
        try fixture.inventory.removeCredentialStore(named: "vault")
        #expect(try fixture.inventory.credentialStore(named: "vault") == nil)
    }

    @Test func removingAMissingStoreSaysItDoesNotExist() throws {
        let fixture = try InventoryFixture()
        let error = #expect(throws: InventoryError.self) {
            try fixture.inventory.removeCredentialStore(named: "nope")
        }
        #expect(error == .credentialStoreNotFound("nope"))
    }
}
