import Foundation
import OGInventory
import Testing

@Suite struct EndpointInventoryTests {
    @Test func addedEndpointIsFoundByIDAndByNameWithEveryField() throws {
        let fixture = try InventoryFixture()
        let reference = CredentialReference(store: "default", id: "cred-1")
        let added = try fixture.inventory.addEndpoint(InventoryFixture.endpoint(
            "web1", credential: reference, secretOptions: ["keystorePassword": CredentialReference(store: "default", id: "ks")]))
        #expect(UUID(uuidString: added.id) != nil)
        #expect(added.id == added.id.lowercased())

        let byID = try #require(try fixture.inventory.endpoint(id: added.id))
        let byName = try #require(try fixture.inventory.endpoint(named: "web1"))
        #expect(byID == added)
        #expect(byName == added)
        #expect(try fixture.inventory.endpoint(matching: added.id.uppercased()) == added)
        #expect(try fixture.inventory.endpoint(matching: "web1") == added)
        #expect(byID.credential == reference)
        #expect(byID.secretOptions["keystorePassword"]?.id == "ks")
        #expect(byID.port == 22 && byID.user == "deploy" && byID.connectionType == "ssh")
        #expect(byID.options == #"{"configPath":"/etc/nginx/nginx.conf"}"#)
        #expect(byID.createdAt == byID.updatedAt)
    }

    @Test func endpointsAreListedByNameInByteOrder() throws {
        let fixture = try InventoryFixture()
        for name in ["web2", "Web1", "api", "web1"] {
            try fixture.inventory.addEndpoint(InventoryFixture.endpoint(name))
        }
        #expect(try fixture.inventory.endpoints().map(\.name) == ["Web1", "api", "web1", "web2"])
    }

    @Test func duplicateNameIsRefusedButNamesAreCaseSensitive() throws {
        let fixture = try InventoryFixture()
        try fixture.inventory.addEndpoint(InventoryFixture.endpoint("web1"))
        let error = #expect(throws: InventoryError.self) {
            try fixture.inventory.addEndpoint(InventoryFixture.endpoint("web1"))
        }
        #expect(error == .nameTaken("web1"))
        #expect(error?.description.contains("choose another name") == true)
        try fixture.inventory.addEndpoint(InventoryFixture.endpoint("WEB1"))
        #expect(try fixture.inventory.endpoints().count == 2)
    }

    @Test(arguments: ["", String(repeating: "n", count: 33)])
    func nameOutsideOneToThirtyTwoCharactersIsRefused(name: String) throws {
        let fixture = try InventoryFixture()
        let error = #expect(throws: InventoryError.self) {
            try fixture.inventory.addEndpoint(InventoryFixture.endpoint(name))
        }
        #expect(error?.description.hasPrefix("name:") == true)
        #expect(error?.description.contains("use 1 to 32 characters") == true)
    }

    @Test func nameOfExactlyThirtyTwoCharactersIsAccepted() throws {
        let fixture = try InventoryFixture()
        let name = String(repeating: "n", count: 32)
        try fixture.inventory.addEndpoint(InventoryFixture.endpoint(name))
        #expect(try fixture.inventory.endpoint(named: name) != nil)
    }

    @Test func invalidPortAndOptionsNameTheField() throws {
        let fixture = try InventoryFixture()
        var endpoint = InventoryFixture.endpoint("web1")
        endpoint.port = 70000
        let portError = #expect(throws: InventoryError.self) { try fixture.inventory.addEndpoint(endpoint) }
        #expect(portError?.description == #"port: "70000" is not between 1 and 65535"#)

        endpoint.port = 443
        endpoint.options = "[1, 2]"
        let optionsError = #expect(throws: InventoryError.self) { try fixture.inventory.addEndpoint(endpoint) }
        #expect(optionsError?.description.hasPrefix("options: is JSON but not an object") == true)
    }

    @Test func referenceToAMissingCredentialStoreIsRefused() throws {
        let fixture = try InventoryFixture()
        let endpoint = InventoryFixture.endpoint(
            "web1", secretOptions: ["keystorePassword": CredentialReference(store: "vault", id: "x")])
        let error = #expect(throws: InventoryError.self) { try fixture.inventory.addEndpoint(endpoint) }
        #expect(error == .unknownCredentialStore(field: "secret option keystorePassword", store: "vault"))
        #expect(try fixture.inventory.endpoints().isEmpty)
    }

    @Test func updateRenamesStampsUpdatedAtAndRefusesATakenName() throws {
        let fixture = try InventoryFixture()
        let first = try fixture.inventory.addEndpoint(InventoryFixture.endpoint("web1"))
        try fixture.inventory.addEndpoint(InventoryFixture.endpoint("web2"))

        var renamed = first
        renamed.name = "web3"
        renamed.port = 2222
        let stored = try fixture.inventory.updateEndpoint(renamed)
        #expect(stored.name == "web3" && stored.port == 2222)
        #expect(stored.createdAt == first.createdAt)
        #expect(stored.updatedAt >= first.updatedAt)
        #expect(try fixture.inventory.endpoint(named: "web1") == nil)

        var clash = stored
        clash.name = "web2"
        let error = #expect(throws: InventoryError.self) { try fixture.inventory.updateEndpoint(clash) }
        #expect(error == .nameTaken("web2"))
    }

    @Test func removeByNameOrIDReturnsTheRemovedEndpoint() throws {
        let fixture = try InventoryFixture()
        let web1 = try fixture.inventory.addEndpoint(InventoryFixture.endpoint("web1"))
        let web2 = try fixture.inventory.addEndpoint(InventoryFixture.endpoint("web2"))
        #expect(try fixture.inventory.removeEndpoint("web1") == web1)
        #expect(try fixture.inventory.removeEndpoint(web2.id) == web2)
        #expect(try fixture.inventory.endpoints().isEmpty)
        let error = #expect(throws: InventoryError.self) { try fixture.inventory.removeEndpoint("web1") }
        #expect(error == .endpointNotFound("web1"))
    }
}
