import Foundation
import GRDB
@testable import OGInventory
import OGTestSupport
import Testing

/// Lineages, versions and bindings (migration "certificate-lineage").
@Suite struct CertificateLineageTests {
    let fixture: InventoryFixture

    init() throws {
        fixture = try InventoryFixture()
    }

    static func pending(_ name: String?, lineage: String? = nil) -> ManagedCertificateRecord {
        var record = CertificateInventoryTests.pending(name)
        record.lineage = lineage
        return record
    }

    /// `record` with a (fake) certificate attached; `digit` makes its fingerprint unique.
    static func issued(_ record: ManagedCertificateRecord, _ digit: Character) -> ManagedCertificateRecord {
        var issued = record
        issued.status = .issued
        issued.certificatePEM = "-----BEGIN CERTIFICATE-----\n\(digit)\n-----END CERTIFICATE-----\n"
        issued.serial = String(repeating: digit, count: 8)
        issued.notBefore = Date().addingTimeInterval(-60)
        issued.notAfter = Date().addingTimeInterval(86400)
        issued.fingerprint = String(repeating: digit, count: 64)
        return issued
    }

    @Test func aNamedCertificateStartsItsLineageAtVersionOne() throws {
        let web = try fixture.inventory.addManagedCertificate(Self.pending("web"))
        #expect(web.lineage == "web")
        #expect(web.version == 1)
        #expect(try fixture.inventory.currentCertificate(lineage: "web") == web)
        #expect(try fixture.inventory.certificateVersions(lineage: "web") == [web])

        let unnamed = try fixture.inventory.addManagedCertificate(Self.pending(nil))
        #expect(unnamed.lineage == nil)
        #expect(unnamed.version == nil)
        #expect(try fixture.inventory.currentCertificate(lineage: "nothing") == nil)
        #expect(try fixture.inventory.certificateVersions(lineage: "nothing").isEmpty)
    }

    @Test func anIssuedNewVersionTakesTheNameInOneStep() throws {
        let first = try fixture.inventory.updateManagedCertificate(
            Self.issued(try fixture.inventory.addManagedCertificate(Self.pending("web")), "a"))
        let second = try fixture.inventory.addManagedCertificate(Self.pending(nil, lineage: "web"))
        #expect(second.version == 2)
        #expect(second.name == nil)
        // Pending: the name still finds the issued first version.
        #expect(try fixture.inventory.managedCertificate(matching: "web")?.id == first.id)

        let (stored, previousID) = try fixture.inventory.saveIssuedVersion(Self.issued(second, "b"))
        #expect(previousID == first.id)
        #expect(stored.name == "web")
        #expect(stored.version == 2)
        #expect(stored.createdAt == second.createdAt)
        #expect(try fixture.inventory.managedCertificate(matching: "web")?.id == second.id)
        #expect(try fixture.inventory.certificateVersions(lineage: "web").map(\.id) == [second.id, first.id])
        let old = try #require(try fixture.inventory.managedCertificate(matching: first.id))
        #expect(old.name == nil)
        #expect(old.lineage == "web")
        #expect(old.version == 1)
        #expect(try fixture.inventory.currentCertificates().map(\.id) == [second.id])
    }

    @Test func anOlderVersionIssuedLateDoesNotTakeTheNameBack() throws {
        let first = try fixture.inventory.addManagedCertificate(Self.pending("web"))
        try fixture.inventory.updateManagedCertificate(Self.issued(first, "a"))
        let second = try fixture.inventory.addManagedCertificate(Self.pending(nil, lineage: "web"))
        let third = try fixture.inventory.addManagedCertificate(Self.pending(nil, lineage: "web"))
        #expect(try fixture.inventory.saveIssuedVersion(Self.issued(third, "c")).previousID == first.id)
        let late = try fixture.inventory.saveIssuedVersion(Self.issued(second, "b"))
        #expect(late.previousID == nil)
        #expect(late.stored.name == nil)
        #expect(try fixture.inventory.currentCertificate(lineage: "web")?.id == third.id)
    }

    @Test func aCertificateIssuedUnderATakenNameBecomesTheNextVersion() throws {
        // What an ACME order for an existing name stores: a new record carrying the name.
        let first = try fixture.inventory.addManagedCertificate(Self.pending("web"))
        let (stored, previousID) = try fixture.inventory.saveIssuedVersion(Self.issued(Self.pending("web"), "d"))
        #expect(previousID == first.id, "a pending current version gives the name to an issued one")
        #expect(stored.version == 2)
        #expect(stored.lineage == "web")
        #expect(try fixture.inventory.currentCertificate(lineage: "web")?.id == stored.id)
        // A brand-new name starts at version 1.
        let other = try fixture.inventory.saveIssuedVersion(Self.issued(Self.pending("api"), "e"))
        #expect(other.stored.version == 1)
        #expect(other.stored.name == "api")
        #expect(other.previousID == nil)
    }

    @Test func versionsAreRefusedOutsideAnExistingLineage() throws {
        let orphan = #expect(throws: InventoryError.self) {
            try fixture.inventory.addManagedCertificate(Self.pending(nil, lineage: "web"))
        }
        #expect(orphan == .certificateNotFound("web"))
        let mismatch = #expect(throws: InventoryError.self) {
            try fixture.inventory.addManagedCertificate(Self.pending("api", lineage: "web"))
        }
        #expect(mismatch?.description.contains("differs from the lineage 'web'") == true)
        let first = try fixture.inventory.addManagedCertificate(Self.pending("web"))
        var renamed = first
        renamed.name = nil
        #expect(throws: InventoryError.self) { try fixture.inventory.updateManagedCertificate(renamed) }
        #expect(throws: InventoryError.self) { try fixture.inventory.saveIssuedVersion(Self.pending("web")) }
        #expect(try fixture.inventory.certificateVersions(lineage: "web") == [first])
    }

    @Test func removalByNameTakesTheLineageAndByIDOneOlderVersion() throws {
        let first = try fixture.inventory.updateManagedCertificate(
            Self.issued(try fixture.inventory.addManagedCertificate(Self.pending("web")), "a"))
        let second = try fixture.inventory.addManagedCertificate(Self.pending(nil, lineage: "web"))
        try fixture.inventory.saveIssuedVersion(Self.issued(second, "b"))
        let third = try fixture.inventory.addManagedCertificate(Self.pending(nil, lineage: "web"))

        let current = #expect(throws: InventoryError.self) { try fixture.inventory.removeManagedCertificate(second.id) }
        #expect(current?.description.contains("is the current version of 'web'") == true)
        #expect(try fixture.inventory.removeManagedCertificate(first.id).map(\.id) == [first.id])
        #expect(try fixture.inventory.certificateVersions(lineage: "web").map(\.id) == [third.id, second.id])
        #expect(Set(try fixture.inventory.removeManagedCertificate("web").map(\.id)) == [second.id, third.id])
        #expect(try fixture.inventory.managedCertificates().isEmpty)
    }

    @Test func bindingIsIdempotentAndKeepsItsAliasUnlessANewOneIsGiven() throws {
        try fixture.inventory.addManagedCertificate(Self.pending("web"))
        let endpoint = try fixture.inventory.addEndpoint(InventoryFixture.endpoint("store-1"))
        let first = try fixture.inventory.bind(lineage: "web", endpointID: endpoint.id, node: "", alias: "tomcat")
        let again = try fixture.inventory.bind(lineage: "web", endpointID: endpoint.id, node: "", alias: nil)
        #expect(again == first)
        #expect(again.alias == "tomcat")
        let renamed = try fixture.inventory.bind(lineage: "web", endpointID: endpoint.id, node: "", alias: "web")
        #expect(renamed.alias == "web")
        #expect(renamed.createdAt == first.createdAt)
        try fixture.inventory.bind(lineage: "web", endpointID: endpoint.id, node: "vhost b", alias: nil)
        #expect(try fixture.inventory.bindings(ofLineage: "web").map(\.node) == ["", "vhost b"])
        #expect(try fixture.inventory.bindings(onEndpoint: endpoint.id).count == 2)
        #expect(try fixture.inventory.allBindings().count == 2)
    }

    @Test func unbindRemovesOneNodeOrEveryNodeOfTheEndpoint() throws {
        try fixture.inventory.addManagedCertificate(Self.pending("web"))
        try fixture.inventory.addManagedCertificate(Self.pending("api"))
        let one = try fixture.inventory.addEndpoint(InventoryFixture.endpoint("nginx-1"))
        let two = try fixture.inventory.addEndpoint(InventoryFixture.endpoint("nginx-2"))
        for node in ["a", "b", "c"] {
            try fixture.inventory.bind(lineage: "web", endpointID: one.id, node: node, alias: nil)
        }
        try fixture.inventory.bind(lineage: "web", endpointID: two.id, node: "a", alias: nil)
        try fixture.inventory.bind(lineage: "api", endpointID: one.id, node: "a", alias: nil)

        #expect(try fixture.inventory.unbind(lineage: "web", endpointID: one.id, node: "b") == 1)
        #expect(try fixture.inventory.unbind(lineage: "web", endpointID: one.id, node: "b") == 0)
        #expect(try fixture.inventory.unbind(lineage: "web", endpointID: one.id, node: nil) == 2)
        #expect(try fixture.inventory.bindings(ofLineage: "web").map(\.endpointID) == [two.id])
        #expect(try fixture.inventory.bindings(onEndpoint: one.id).map(\.lineage) == ["api"])

        try fixture.inventory.removeEndpoint("nginx-1")
        #expect(try fixture.inventory.bindings(onEndpoint: one.id).isEmpty)
        #expect(try fixture.inventory.bindings(ofLineage: "web").count == 1, "other endpoints keep theirs")
    }

    @Test func bindingNeedsANamedCertificateAnEndpointAndAPrintableNode() throws {
        let unnamed = try fixture.inventory.addManagedCertificate(Self.pending(nil))
        let endpoint = try fixture.inventory.addEndpoint(InventoryFixture.endpoint("nginx-1"))
        #expect(throws: InventoryError.certificateNotFound(unnamed.id)) {
            try fixture.inventory.bind(lineage: unnamed.id, endpointID: endpoint.id, node: "", alias: nil)
        }
        try fixture.inventory.addManagedCertificate(Self.pending("web"))
        let missing = UUID().uuidString.lowercased()
        #expect(throws: InventoryError.endpointNotFound(missing)) {
            try fixture.inventory.bind(lineage: "web", endpointID: missing, node: "", alias: nil)
        }
        let control = #expect(throws: InventoryError.self) {
            try fixture.inventory.bind(lineage: "web", endpointID: endpoint.id, node: "a\nb", alias: nil)
        }
        #expect(control?.description.hasPrefix("node:") == true)
        #expect(try fixture.inventory.allBindings().isEmpty)
    }

    @Test func installationKeepsTheAddressItWasVerifiedAt() throws {
        let web = try fixture.inventory.addManagedCertificate(Self.pending("web"))
        let endpoint = try fixture.inventory.addEndpoint(InventoryFixture.endpoint("nginx-1"))
        try fixture.inventory.recordInstallation(certificateID: web.id, endpointID: endpoint.id, node: "default",
                                                 servedAddress: "127.0.0.1:8443", servedName: "web.example.com")
        let installation = try #require(try fixture.inventory.installations(ofLineage: "web").first)
        #expect(installation.installation.servedAddress == "127.0.0.1:8443")
        #expect(installation.installation.servedName == "web.example.com")
        #expect(installation.endpointName == "nginx-1")
        #expect(installation.version == 1)
    }

    /// An inventory from before versions: a named certificate, the one it
    /// replaced through ACME (unnamed, found through its completed order), an
    /// unrelated unnamed one, and an installation of the named one.
    @Test func migrationRebuildsLineagesAndBindingsFromOlderRecords() throws {
        let directory = try TemporaryDirectory("og-inventory")
        let path = directory.file("inventory.sqlite")
        let endpoint = InventoryFixture.endpoint("nginx-1")
        let (older, current, unrelated) = ("00000000-0000-4000-8000-000000000001",
                                           "00000000-0000-4000-8000-000000000002",
                                           "00000000-0000-4000-8000-000000000003")
        do {
            let queue = try DatabaseQueue(path: path)
            try InventorySchema.migrator.migrate(queue, upTo: "job-ownership")
            try queue.write { db in
                try endpoint.insert(db)
                for (id, name, age) in [(older, nil, 300.0), (current, "web", 200.0), (unrelated, nil, 100.0)] {
                    try db.execute(sql: """
                        INSERT INTO managedCertificate (id, name, keySpec, subject, subjectAlternativeNames, csrPEM, status,
                            origin, createdAt, updatedAt) VALUES (?, ?, 'ec-p256', 'CN=web', '[]', 'csr', 'pending',
                            'generated', ?, ?)
                        """, arguments: [id, name, Date().addingTimeInterval(-age), Date()])
                }
                try db.execute(sql: """
                    INSERT INTO acmeOrder (id, issuerName, certificateName, state, identifiers, keySpec, csrPEM,
                        challengeSettings, authorized, certificateID, createdAt, updatedAt)
                    VALUES ('order-1', 'pebble', 'web', 'completed', '[]', 'ec-p256', 'csr', '{}', '[]', ?, ?, ?)
                    """, arguments: [older, Date(), Date()])
                try db.execute(sql: """
                    INSERT INTO certificateInstallation (certificateID, endpointID, node, installedAt) VALUES (?, ?, 'default', ?)
                    """, arguments: [current, endpoint.id, Date()])
            }
        }
        let upgraded = try SQLiteInventory(path: path)
        #expect(try upgraded.certificateVersions(lineage: "web").map(\.id) == [current, older])
        #expect(try upgraded.certificateVersions(lineage: "web").map(\.version) == [2, 1])
        #expect(try upgraded.currentCertificate(lineage: "web")?.id == current)
        let loose = try #require(try upgraded.managedCertificate(matching: unrelated))
        #expect(loose.lineage == nil)
        #expect(loose.version == nil)
        let bindings = try upgraded.bindings(ofLineage: "web")
        #expect(bindings.map(\.endpointID) == [endpoint.id])
        #expect(bindings.map(\.node) == ["default"])
        #expect(try upgraded.installations(ofLineage: "web").first?.installation.servedAddress == nil)
    }
}
