import Foundation
import GRDB

extension ACMEOrderRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "acmeOrder"
}

extension ACMEIssuerRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "acmeIssuer"
}

/// Issuers (ACME CAs with the gateway's account at each) and the orders
/// placed with them. Account keys are sealed files under `<data>/keys` and
/// the EAB HMAC key is in the default credential store; only references are here.
enum IssuanceSchema {
    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("acme-issuers-and-orders") { db in
            try db.create(table: "acmeIssuer") { table in
                table.primaryKey("name", .text)
                table.column("directoryURL", .text).notNull()
                table.column("accountURL", .text)
                table.column("accountKeyID", .text).notNull()
                table.column("accountKeySpec", .text).notNull()
                table.column("contact", .text).notNull()
                table.column("eabKeyID", .text)
                table.column("eabCredentialID", .text)
                table.column("caBundlePEM", .text)
                table.column("preferredChain", .text)
                table.column("termsOfService", .text)
                table.column("createdAt", .datetime).notNull()
                table.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "acmeOrder") { table in
                table.primaryKey("id", .text)
                table.column("issuerName", .text).notNull().indexed()
                table.column("certificateName", .text).notNull().indexed()
                table.column("state", .text).notNull()
                table.column("orderURL", .text)
                table.column("identifiers", .text).notNull()
                table.column("keySpec", .text).notNull()
                table.column("csrPEM", .text).notNull()
                table.column("challengeType", .text)
                table.column("challengeSettings", .text).notNull()
                table.column("authorized", .text).notNull()
                table.column("certificateURL", .text)
                table.column("certificateID", .text)
                table.column("replaces", .text)
                table.column("lastProblem", .text)
                table.column("revokedAt", .datetime)
                table.column("revocationReason", .text)
                table.column("createdAt", .datetime).notNull()
                table.column("updatedAt", .datetime).notNull()
            }
        }
    }

    /// Which challenges of an order the CA already accepted a response to (`ACMEOrderRecord.answered`).
    static func registerAnsweredChallenges(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("acme-order-answered-challenges") { db in
            try db.alter(table: "acmeOrder") { table in
                table.add(column: "answered", .text).notNull().defaults(to: "[]")
            }
        }
    }
}

extension SQLiteInventory {
    public func addACMEIssuer(_ issuer: ACMEIssuerRecord) throws {
        try RecordValidation.name(issuer.name, field: "issuer name")
        try write { db in
            if try ACMEIssuerRecord.exists(db, key: issuer.name) || CommandIssuerRecord.exists(db, key: issuer.name) {
                throw InventoryError.invalidValue(field: "issuer name", value: issuer.name,
                                                  problem: "is already used by another issuer; choose another name")
            }
            try issuer.insert(db)
        }
    }

    public func updateACMEIssuer(_ issuer: ACMEIssuerRecord) throws {
        var stored = issuer
        stored.updatedAt = Date()
        try write { db in try stored.update(db) }
    }

    public func acmeIssuer(named name: String) throws -> ACMEIssuerRecord? {
        try read { try ACMEIssuerRecord.fetchOne($0, key: name) }
    }

    public func acmeIssuers() throws -> [ACMEIssuerRecord] {
        try read { try ACMEIssuerRecord.order(Column("name")).fetchAll($0) }
    }

    /// Removes the issuer; refused while it has orders that are not final.
    @discardableResult
    public func removeACMEIssuer(named name: String) throws -> ACMEIssuerRecord? {
        try write { db in
            guard let issuer = try ACMEIssuerRecord.fetchOne(db, key: name) else { return nil }
            let open = try ACMEOrderRecord.filter(Column("issuerName") == name)
                .filter([ACMEOrderRecord.State.completed.rawValue, ACMEOrderRecord.State.failed.rawValue]
                    .contains(Column("state")) == false)
                .fetchAll(db)
            if !open.isEmpty {
                throw InventoryError.invalidValue(field: "issuer", value: name,
                                                  problem: "has open orders (\(open.map(\.id).joined(separator: ", "))); "
                                                    + "finish them or abandon them with og-host cert order abandon ID first")
            }
            try issuer.delete(db)
            return issuer
        }
    }

    public func saveACMEOrder(_ order: ACMEOrderRecord) throws {
        var stored = order
        stored.updatedAt = Date()
        try write { db in try stored.save(db) }
    }

    public func acmeOrder(id: String) throws -> ACMEOrderRecord? {
        try read { db in
            if let exact = try ACMEOrderRecord.fetchOne(db, key: id.lowercased()) { return exact }
            // A unique prefix of the ID, as printed in `cert orders`, is enough.
            let matches = try ACMEOrderRecord.filter(Column("id").like(id.lowercased() + "%")).fetchAll(db)
            return matches.count == 1 ? matches[0] : nil
        }
    }

    /// Orders, newest first; only those for `certificateName` when given.
    public func acmeOrders(certificateName: String?) throws -> [ACMEOrderRecord] {
        try read { db in
            var request = ACMEOrderRecord.order(Column("createdAt").desc, Column("id"))
            if let certificateName { request = request.filter(Column("certificateName") == certificateName) }
            return try request.fetchAll(db)
        }
    }

    /// The order for `certificateName` at `issuerName` that is not final, if any: what `cert issue` resumes.
    public func openACMEOrder(certificateName: String, issuerName: String) throws -> ACMEOrderRecord? {
        try read { db in
            try ACMEOrderRecord.filter(Column("certificateName") == certificateName && Column("issuerName") == issuerName)
                .filter([ACMEOrderRecord.State.completed.rawValue, ACMEOrderRecord.State.failed.rawValue]
                    .contains(Column("state")) == false)
                .order(Column("createdAt").desc).fetchOne(db)
        }
    }

    /// Stores an issued certificate as the newest version of lineage `name`
    /// (the name moves to it) and marks `order` completed, in one transaction:
    /// the previous current version keeps its record, installations and key as
    /// an older version of the lineage, reachable by its ID.
    @discardableResult
    public func completeACMEOrder(_ order: ACMEOrderRecord, certificate: ManagedCertificateRecord)
        throws -> (stored: ManagedCertificateRecord, previousID: String?) {
        try certificate.validate()
        return try write { db in
            let (stored, previousID) = try Self.saveIssuedVersion(certificate, db)
            var completed = order
            completed.state = .completed
            completed.certificateID = stored.id
            completed.lastProblem = nil
            completed.updatedAt = Date()
            try completed.update(db)
            return (stored, previousID)
        }
    }
}
