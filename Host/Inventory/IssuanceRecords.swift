import Foundation
import GRDB

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
}

/// An ACME CA and the gateway's account there: what `og-host issuer add acme` records.
public struct ACMEIssuerRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "acmeIssuer"

    public var name: String
    public var directoryURL: String
    /// The account's URL (its `kid`), kept because some CAs do not hand an
    /// existing account back on a repeated new-account request with EAB.
    public var accountURL: String?
    /// Names the sealed account key file under `<data>/keys`.
    public var accountKeyID: String
    public var accountKeySpec: String
    /// JSON array of contact URLs (`mailto:…`).
    public var contact: String
    public var eabKeyID: String?
    /// The credential (default local store) holding the EAB HMAC key.
    public var eabCredentialID: String?
    /// Extra trust anchors for the CA's HTTPS server.
    public var caBundlePEM: String?
    /// Common name of the root (or top issuer) of the chain to prefer among alternates.
    public var preferredChain: String?
    public var termsOfService: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(name: String, directoryURL: String, accountURL: String?, accountKeyID: String, accountKeySpec: String,
                contact: [String], eabKeyID: String?, eabCredentialID: String?, caBundlePEM: String?,
                preferredChain: String?, termsOfService: String?) {
        self.name = name
        self.directoryURL = directoryURL
        self.accountURL = accountURL
        self.accountKeyID = accountKeyID
        self.accountKeySpec = accountKeySpec
        self.contact = String(decoding: (try? JSONEncoder().encode(contact)) ?? Data("[]".utf8), as: UTF8.self)
        self.eabKeyID = eabKeyID
        self.eabCredentialID = eabCredentialID
        self.caBundlePEM = caBundlePEM
        self.preferredChain = preferredChain
        self.termsOfService = termsOfService
        createdAt = Date()
        updatedAt = createdAt
    }

    public var contacts: [String] { (try? JSONDecoder().decode([String].self, from: Data(contact.utf8))) ?? [] }
}

/// One order placed with an ACME issuer, persisted as it progresses so a
/// restart resumes it (by its URL) instead of placing a second one.
public struct ACMEOrderRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "acmeOrder"

    public enum State: String, Codable, Sendable, CaseIterable {
        /// Recorded locally; the CA has not answered the new-order request yet.
        case created
        /// The CA has the order; authorizations are being answered.
        case pending
        /// Every authorization is valid; the CSR can be submitted.
        case ready
        /// The CSR was submitted; the CA is issuing.
        case processing
        /// The CA issued the certificate; it is not yet in the vault.
        case valid
        /// The certificate is in the vault (`certificateID`). Final.
        case completed
        /// The CA marked the order invalid, or it was abandoned. Final.
        case failed

        public var isFinal: Bool { self == .completed || self == .failed }
    }

    /// A lowercase UUID.
    public var id: String
    public var issuerName: String
    /// The vault name the certificate will be stored under.
    public var certificateName: String
    public var state: State
    public var orderURL: String?
    /// JSON array of DNS names.
    public var identifiers: String
    public var keySpec: String
    public var csrPEM: String
    public var challengeType: String?
    /// JSON object: endpoint, webroot, DNS server, TSIG key name (never the TSIG secret).
    public var challengeSettings: String
    /// JSON array of identifiers whose authorization is valid.
    public var authorized: String
    public var certificateURL: String?
    /// The vault certificate made from this order, once completed.
    public var certificateID: String?
    /// ARI identifier of the certificate this order renews.
    public var replaces: String?
    /// The last error seen (problem type and detail, or the local failure), for `cert order show`.
    public var lastProblem: String?
    /// Set by `cert revoke` once the CA accepted the revocation.
    public var revokedAt: Date?
    public var revocationReason: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String = UUID().uuidString.lowercased(), issuerName: String, certificateName: String,
                identifiers: [String], keySpec: String, csrPEM: String, challengeType: String?,
                challengeSettings: [String: String], replaces: String?) {
        self.id = id
        self.issuerName = issuerName
        self.certificateName = certificateName
        state = .created
        self.identifiers = Self.json(identifiers)
        self.keySpec = keySpec
        self.csrPEM = csrPEM
        self.challengeType = challengeType
        self.challengeSettings = Self.json(challengeSettings)
        authorized = "[]"
        self.replaces = replaces
        createdAt = Date()
        updatedAt = createdAt
    }

    public var identifierList: [String] { (try? JSONDecoder().decode([String].self, from: Data(identifiers.utf8))) ?? [] }
    public var authorizedList: [String] { (try? JSONDecoder().decode([String].self, from: Data(authorized.utf8))) ?? [] }
    public var settings: [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(challengeSettings.utf8))) ?? [:]
    }

    public mutating func markAuthorized(_ identifier: String) {
        var list = authorizedList
        if !list.contains(identifier) { list.append(identifier) }
        authorized = Self.json(list)
    }

    public mutating func setSettings(_ settings: [String: String]) { challengeSettings = Self.json(settings) }

    static func json<Value: Encodable>(_ value: Value) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
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
