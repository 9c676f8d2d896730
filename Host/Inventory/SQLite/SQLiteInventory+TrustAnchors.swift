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
    public func trustAnchors() throws -> [TrustAnchorRecord] {
        try read { try TrustAnchorRecord.fetchAll($0, clauses: "ORDER BY name") }
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
