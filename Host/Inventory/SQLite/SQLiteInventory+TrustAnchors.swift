import Foundation
import GRDB

extension TrustAnchorRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "trustAnchor"
}

extension SQLiteInventory {
    /// Adds `anchor` and returns it as stored. The same certificate, or a
    /// name already in use, is refused naming the anchor that has it.
    @discardableResult
    public func addTrustAnchor(_ anchor: TrustAnchorRecord) throws -> TrustAnchorRecord {
        try anchor.validate()
        return try write { db in
            if let existing = try TrustAnchorRecord.fetchOne(db, key: anchor.fingerprint) {
                throw InventoryError.invalidValue(field: "certificate", value: anchor.subject,
                                                  problem: "is already a trust anchor, named '\(existing.name)'")
            }
            if try TrustAnchorRecord.filter(Column("name") == anchor.name).fetchCount(db) > 0 {
                throw InventoryError.invalidValue(field: "name", value: anchor.name,
                                                  problem: "is already another trust anchor's name; choose another with field `name`")
            }
            var stored = anchor
            stored.addedAt = Date()
            try stored.insert(db)
            return try TrustAnchorRecord.fetchOne(db, key: stored.fingerprint)!
        }
    }

    /// All trust anchors, by name.
    ///
    /// Every certificate install reads them (its chain must reach one), so
    /// through a kept statement whose rows are read column by column: GRDB's
    /// query interface and Codable decoding cost some 2.5 M instructions here,
    /// and its date decoding 2 M more on first use (see `DatabaseDate`).
    public func trustAnchors() throws -> [TrustAnchorRecord] {
        try read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT fingerprint, name, subject, notAfter, pem, addedAt FROM trustAnchor ORDER BY name"))
                .map { row in
                    var anchor = TrustAnchorRecord(fingerprint: try row.decode(atIndex: 0), name: try row.decode(atIndex: 1),
                                                   subject: try row.decode(atIndex: 2),
                                                   notAfter: try DatabaseDate.decode(row, atIndex: 3), pem: try row.decode(atIndex: 4))
                    anchor.addedAt = try DatabaseDate.decode(row, atIndex: 5)
                    return anchor
                }
        }
    }

    /// The anchor named `reference`, or whose fingerprint it is; nil when none.
    public func trustAnchor(matching reference: String) throws -> TrustAnchorRecord? {
        try read { try Self.trustAnchor(matching: reference, $0) }
    }

    /// Removes the anchor named `reference` or whose fingerprint it is, and
    /// returns it; nil when none matched.
    @discardableResult
    public func removeTrustAnchor(_ reference: String) throws -> TrustAnchorRecord? {
        try write { db in
            guard let anchor = try Self.trustAnchor(matching: reference, db) else { return nil }
            try anchor.delete(db)
            return anchor
        }
    }

    private static func trustAnchor(matching reference: String, _ db: Database) throws -> TrustAnchorRecord? {
        if let byName = try TrustAnchorRecord.filter(Column("name") == reference).fetchOne(db) {
            return byName
        }
        guard let fingerprint = TrustAnchorRecord.normalizedFingerprint(reference) else { return nil }
        return try TrustAnchorRecord.fetchOne(db, key: fingerprint)
    }
}
