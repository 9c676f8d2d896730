import Foundation
import GRDB

/// Where a managed certificate was installed: one row per endpoint node,
/// written by the install job once the served certificate was verified.
public struct CertificateInstallation: Codable, Equatable, Sendable {
    public var certificateID: String
    public var endpointID: String
    /// The plugin's name for the node (vhost, connector, binding, keystore entry, ...).
    public var node: String
    /// Where the install verified the served certificate, `host:port`; nil for
    /// installations recorded before this was kept or by API installs without one.
    public var servedAddress: String? = nil
    /// The SNI name sent in that handshake, if any.
    public var servedName: String? = nil
    /// Set by the inventory each time the installation is recorded.
    public internal(set) var installedAt: Date
}

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

extension Inventory {
    /// Records that `certificateID` now serves on `node` of `endpointID`.
    /// Installing again on the same node only moves the time forward. With
    /// `bindingNode` ("" = the plugin's choice), a certificate with a name is
    /// also bound there, in the same transaction: what an install does.
    @discardableResult
    public func recordInstallation(certificateID: String, endpointID: String, node: String,
                                   servedAddress: String? = nil, servedName: String? = nil,
                                   bindingNode: String? = nil, alias: String? = nil) throws -> CertificateInstallation {
        try RecordValidation.nonEmpty(node, field: "node")
        return try write { db in
            guard let certificate = try ManagedCertificateRecord.fetchOne(db, key: certificateID) else {
                throw InventoryError.invalidValue(field: "certificate id", value: certificateID,
                                                  problem: "matches no managed certificate; list them with og-host cert list")
            }
            guard try EndpointRecord.exists(db, key: endpointID) else {
                throw InventoryError.endpointNotFound(endpointID)
            }
            let installation = CertificateInstallation(certificateID: certificateID, endpointID: endpointID,
                                                       node: node, servedAddress: servedAddress,
                                                       servedName: servedName, installedAt: Date())
            try installation.upsert(db)
            if let bindingNode, let lineage = certificate.lineage,
               try ManagedCertificateRecord.filter(Column("name") == lineage).fetchCount(db) > 0 {
                try Self.bind(lineage: lineage, endpointID: endpointID, node: bindingNode, alias: alias, db)
            }
            return try CertificateInstallation.fetchOne(
                db, key: ["certificateID": certificateID, "endpointID": endpointID, "node": node])!
        }
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
