import Foundation
import OGBasics
import GRDB
@testable import OGInventory
import OGTestSupport
import Testing

/// The inventory side of managed certificates: records, installations and
/// trust anchors from migration "6-certificates".
@Suite struct CertificateInventoryTests {
    let fixture: InventoryFixture

    init() throws {
        fixture = try InventoryFixture()
    }

    static func pending(_ name: String?) -> ManagedCertificateRecord {
        ManagedCertificateRecord(name: name, keySpec: "ec-p256", subject: "CN=\(name ?? "unnamed").example.com",
                                 commonName: "\(name ?? "unnamed").example.com",
                                 subjectAlternativeNames: ["DNS:\(name ?? "unnamed").example.com", "IP:192.0.2.1"],
                                 csrPEM: "-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n",
                                 status: .pending, origin: .generated)
    }

    static func anchor(_ name: String, fingerprintDigit: Character = "a") -> TrustAnchorRecord {
        TrustAnchorRecord(fingerprint: String(repeating: fingerprintDigit, count: 64), name: name, subject: "CN=\(name)",
                          notAfter: Date().addingTimeInterval(86400), pem: "-----BEGIN CERTIFICATE-----\n")
    }

    @Test func certificatesMigrationFollowsTheInstallJournal() throws {
        let applied = try fixture.inventory.appliedMigrations
        #expect(applied.firstIndex(of: "6-certificates") == applied.firstIndex(of: "5-install-journal").map { $0 + 1 })
    }

    @Test func inventoryFromBeforeCertificatesIsUpgradedKeepingItsEndpoints() throws {
        let directory = try TemporaryDirectory("og-inventory")
        let path = directory.file("inventory.sqlite")
        do {
            let queue = try DatabaseQueue(path: path)
            try InventorySchema.migrator.migrate(queue, upTo: "5-install-journal")
            try queue.write { try InventoryFixture.endpoint("web1").insert($0) }
        }
        let upgraded = try SQLiteInventory(path: path)
        let applied = try upgraded.appliedMigrations
        #expect(Array(applied.prefix(6).suffix(2)) == ["5-install-journal", "6-certificates"])
        #expect(applied == InventorySchema.migrator.migrations, "every later migration too: \(applied)")
        try upgraded.addManagedCertificate(Self.pending("web"))
        let reopened = try SQLiteInventory(path: path)
        #expect(try reopened.endpoints().map(\.name) == ["web1"])
        #expect(try reopened.managedCertificates().map(\.name) == ["web"])
    }

    @Test func certificateIsFoundByIDOrNameWithItsSANsIntact() throws {
        let stored = try fixture.inventory.addManagedCertificate(Self.pending("web"))
        #expect(try fixture.inventory.managedCertificate(matching: "web") == stored)
        #expect(try fixture.inventory.managedCertificate(matching: stored.id.uppercased()) == stored)
        #expect(try fixture.inventory.managedCertificate(matching: "nothing") == nil)
        #expect(stored.subjectAlternativeNames == ["DNS:web.example.com", "IP:192.0.2.1"])
        #expect(stored.status == .pending)
    }

    @Test func namesAreUniqueButOptional() throws {
        try fixture.inventory.addManagedCertificate(Self.pending("web"))
        try fixture.inventory.addManagedCertificate(Self.pending(nil))
        try fixture.inventory.addManagedCertificate(Self.pending(nil))
        let error = #expect(throws: InventoryError.self) { try fixture.inventory.addManagedCertificate(Self.pending("web")) }
        #expect(error?.description.contains("certificate name: \"web\" is already used by another certificate") == true)
        let listed = try fixture.inventory.managedCertificates()
        #expect(listed.count == 3)
        #expect(listed.first?.name == "web", "named certificates come first")
    }

    @Test func issuedRecordMustCarryItsCertificateAndPendingOneMustNot() throws {
        var issuedWithoutCertificate = Self.pending("a")
        issuedWithoutCertificate.status = .issued
        #expect(throws: InventoryError.self) { try fixture.inventory.addManagedCertificate(issuedWithoutCertificate) }

        var pendingWithCertificate = Self.pending("b")
        pendingWithCertificate.certificatePEM = "-----BEGIN CERTIFICATE-----\n"
        #expect(throws: InventoryError.self) { try fixture.inventory.addManagedCertificate(pendingWithCertificate) }

        var issued = try fixture.inventory.addManagedCertificate(Self.pending("c"))
        issued.status = .issued
        issued.certificatePEM = "-----BEGIN CERTIFICATE-----\n"
        issued.serial = "1f"
        issued.notAfter = Date().addingTimeInterval(3600)
        issued.fingerprint = String(repeating: "b", count: 64)
        let updated = try fixture.inventory.updateManagedCertificate(issued)
        #expect(updated.status == .issued)
        #expect(updated.createdAt == issued.createdAt)
        #expect(try fixture.inventory.managedCertificate(fingerprint: String(repeating: "B", count: 64))?.id == issued.id)
    }

    @Test func installationIsRecordedOncePerNode() throws {
        let certificate = try fixture.inventory.addManagedCertificate(Self.pending("web"))
        let endpoint = try fixture.inventory.addEndpoint(InventoryFixture.endpoint("nginx-1"))
        let first = try fixture.inventory.recordInstallation(certificateID: certificate.id, endpointID: endpoint.id, node: "vhost a")
        let again = try fixture.inventory.recordInstallation(certificateID: certificate.id, endpointID: endpoint.id, node: "vhost a")
        try fixture.inventory.recordInstallation(certificateID: certificate.id, endpointID: endpoint.id, node: "vhost b")

        let installations = try fixture.inventory.installations(ofCertificate: certificate.id)
        #expect(installations.map(\.installation.node).sorted() == ["vhost a", "vhost b"])
        #expect(installations.allSatisfy { $0.endpointName == "nginx-1" })
        #expect(again.installedAt >= first.installedAt)
    }

    @Test func installationNeedsAnExistingCertificateAndEndpoint() throws {
        let certificate = try fixture.inventory.addManagedCertificate(Self.pending("web"))
        let endpoint = try fixture.inventory.addEndpoint(InventoryFixture.endpoint("nginx-1"))
        let missingEndpoint = UUID().uuidString.lowercased()
        #expect(throws: InventoryError.endpointNotFound(missingEndpoint)) {
            try fixture.inventory.recordInstallation(certificateID: certificate.id, endpointID: missingEndpoint, node: "n")
        }
        #expect(throws: InventoryError.self) {
            try fixture.inventory.recordInstallation(certificateID: UUID().uuidString.lowercased(), endpointID: endpoint.id, node: "n")
        }
        #expect(throws: InventoryError.self) {
            try fixture.inventory.recordInstallation(certificateID: certificate.id, endpointID: endpoint.id, node: "")
        }
    }

    @Test func removalIsRefusedOnlyWhileBoundAndNamesTheBindings() throws {
        let certificate = try fixture.inventory.addManagedCertificate(Self.pending("web"))
        let endpoint = try fixture.inventory.addEndpoint(InventoryFixture.endpoint("nginx-1"))
        try fixture.inventory.recordInstallation(certificateID: certificate.id, endpointID: endpoint.id, node: "default")
        try fixture.inventory.bind(lineage: "web", endpointID: endpoint.id, node: "default", alias: nil)

        let refused = #expect(throws: InventoryError.self) { try fixture.inventory.removeManagedCertificate("web") }
        #expect(refused == .certificateBound(certificate: "web", bindings: ["nginx-1 (node default)"]))
        // The library names the field; the CLI spells it as its option.
        #expect(refused.map { FieldMention.render($0.description) { "--\($0)" } }?
            .contains("og-host cert unbind web --endpoint EP") == true, "\(String(describing: refused))")
        #expect(try fixture.inventory.managedCertificate(matching: "web") != nil)

        // A removed endpoint takes its bindings along; installation records stay until the certificate goes.
        try fixture.inventory.removeEndpoint("nginx-1")
        #expect(try fixture.inventory.bindings(ofLineage: "web").isEmpty)
        #expect(try fixture.inventory.installations(ofCertificate: certificate.id).first?.endpointName == nil)
        #expect(try fixture.inventory.removeManagedCertificate("web").map(\.id) == [certificate.id])
        #expect(try fixture.inventory.installations(ofCertificate: certificate.id).isEmpty)
        #expect(try fixture.inventory.removeManagedCertificate("web").isEmpty)
    }

    @Test func trustAnchorsAreFoundByNameOrFingerprintAsOpenSSLPrintsIt() throws {
        let stored = try fixture.inventory.addTrustAnchor(Self.anchor("root"))
        let colonned = stride(from: 0, to: 64, by: 2).map { _ in "AA" }.joined(separator: ":")
        #expect(try fixture.inventory.trustAnchor(matching: "root") == stored)
        #expect(try fixture.inventory.trustAnchor(matching: colonned) == stored)
        #expect(try fixture.inventory.trustAnchor(matching: "other") == nil)
        #expect(try fixture.inventory.removeTrustAnchor(colonned) == stored)
        #expect(try fixture.inventory.trustAnchors().isEmpty)
    }

    @Test func trustAnchorFingerprintsAndNamesAreUnique() throws {
        try fixture.inventory.addTrustAnchor(Self.anchor("root"))
        let sameCertificate = #expect(throws: InventoryError.self) {
            try fixture.inventory.addTrustAnchor(Self.anchor("copy"))
        }
        #expect(sameCertificate?.description.contains("is already a trust anchor, named 'root'") == true)
        let sameName = #expect(throws: InventoryError.self) {
            try fixture.inventory.addTrustAnchor(Self.anchor("root", fingerprintDigit: "b"))
        }
        #expect(sameName?.description.contains("is already another trust anchor's name") == true)
        #expect(throws: InventoryError.self) {
            try fixture.inventory.addTrustAnchor(TrustAnchorRecord(fingerprint: "xyz", name: "bad", subject: "CN=bad",
                                                                   notAfter: Date(), pem: "pem"))
        }
        #expect(try fixture.inventory.trustAnchors().map(\.name) == ["root"])
    }
}
