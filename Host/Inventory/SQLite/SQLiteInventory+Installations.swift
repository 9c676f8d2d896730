import Foundation
import GRDB

extension CertificateInstallation: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "certificateInstallation"
}

/// An installation with whether its endpoint is still in the inventory (a
/// removed endpoint no longer serves anything og-host manages) and its name.
struct InstallationOnEndpoint {
    var installation: CertificateInstallation
    var endpointName: String?
    var endpointExists: Bool { endpointName != nil }
}

extension SQLiteInventory {
    /// Records that `certificateID` now serves on `node` of `endpointID`.
    /// Installing again on the same node only moves the time forward. With
    /// `bindingNode` ("" = the plugin's choice), a certificate with a name is
    /// also bound there, in the same transaction: what an install does.
    @discardableResult
    public func recordInstallation(_ recording: InstallationRecording) throws -> CertificateInstallation {
        try recording.validate()
        return try write { db in try Self.record(recording, db) }
    }

    /// Writes `recording` inside the caller's transaction: the install job
    /// records where the certificate went in the same transaction that marks
    /// its journal entry verified, so a crash between the two cannot leave
    /// the inventory saying "installed" while recovery rolls the endpoint back.
    @discardableResult
    static func record(_ recording: InstallationRecording, _ db: Database) throws -> CertificateInstallation {
        guard let certificate = try ManagedCertificateRecord.fetchOne(db, where: "id", equals: recording.certificateID) else {
            throw InventoryError.invalidValue(field: "certificate id", value: recording.certificateID,
                                              problem: "matches no managed certificate; list them with og-host cert list")
        }
        guard try EndpointRecord.exists(db, where: "id", equals: recording.endpointID) else {
            throw InventoryError.endpointNotFound(recording.endpointID)
        }
        let installation = CertificateInstallation(certificateID: recording.certificateID, endpointID: recording.endpointID,
                                                   node: recording.node, servedAddress: recording.servedAddress,
                                                   servedName: recording.servedName, installedAt: Date())
        try installation.upsert(db)
        if let bindingNode = recording.bindingNode, let lineage = certificate.lineage,
           try ManagedCertificateRecord.exists(db, where: "name", equals: lineage) {
            try Self.bind(lineage: lineage, endpointID: recording.endpointID, node: bindingNode,
                          alias: recording.alias, db)
        }
        return try CertificateInstallation.fetchOne(db, whereColumns: ["certificateID", "endpointID", "node"],
                                                    equal: [recording.certificateID, recording.endpointID, recording.node])!
    }

    /// Where `certificateID` is installed, oldest first, with each endpoint's
    /// current name (nil when the endpoint has since been removed).
    public func installations(ofCertificate certificateID: String) throws -> [(installation: CertificateInstallation, endpointName: String?)] {
        try read { db in
            try Self.installations(of: certificateID, db).map { ($0.installation, $0.endpointName) }
        }
    }

    static func installations(of certificateID: String, _ db: Database) throws -> [InstallationOnEndpoint] {
        let installations = try CertificateInstallation
            .filter(Column("certificateID") == certificateID)
            .order(Column("installedAt"), Column("endpointID"), Column("node"))
            .fetchAll(db)
        return try installations.map { installation in
            let name = try String.fetchOne(db, sql: "SELECT name FROM endpoint WHERE id = ?",
                                           arguments: [installation.endpointID])
            return InstallationOnEndpoint(installation: installation, endpointName: name)
        }
    }
}
