import Foundation
import GRDB

/// A CA certificate the operator trusts: chains of imported certificates must
/// end at one of these (or at a root supplied with the chain itself).
public struct TrustAnchorRecord: Codable, Equatable, Sendable {
    /// SHA-256 over the certificate's DER, lowercase hexadecimal: the identity.
    public var fingerprint: String
    /// Unique, 1 to 32 characters.
    public var name: String
    /// RFC 4514.
    public var subject: String
    public var notAfter: Date
    public var pem: String
    /// Set by the inventory when the anchor is added.
    public internal(set) var addedAt: Date

    public init(fingerprint: String, name: String, subject: String, notAfter: Date, pem: String) {
        self.fingerprint = fingerprint
        self.name = name
        self.subject = subject
        self.notAfter = notAfter
        self.pem = pem
        self.addedAt = Date()
    }

    func validate() throws {
        guard fingerprint.count == 64, fingerprint.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw InventoryError.invalidValue(field: "fingerprint", value: fingerprint,
                                              problem: "is not a SHA-256 fingerprint in lowercase hexadecimal")
        }
        try RecordValidation.name(name, field: "trust anchor name")
        try RecordValidation.nonEmpty(subject, field: "subject")
        try RecordValidation.nonEmpty(pem, field: "certificate")
    }

    /// `text` as a fingerprint in the stored form, when it reads as one:
    /// colons and case as `openssl x509 -fingerprint` prints them are accepted.
    public static func normalizedFingerprint(_ text: String) -> String? {
        let compact = text.lowercased().filter { $0 != ":" }
        guard compact.count == 64, compact.allSatisfy(\.isHexDigit) else { return nil }
        return compact
    }
}

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
        try read { try TrustAnchorRecord.order(Column("name")).fetchAll($0) }
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
