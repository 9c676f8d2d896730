import Foundation
import GRDB

/// A certificate the gateway manages: its key (kept encrypted beside the
/// inventory, never in it), the request made for it and, once issued, the
/// certificate and chain. What `og-host cert request` and `cert import` record.
public struct ManagedCertificateRecord: Codable, Equatable, Sendable {
    public enum Status: String, Codable, Sendable {
        /// A key and CSR exist; no certificate is attached yet.
        case pending
        /// The certificate (and chain) is attached.
        case issued
    }

    /// Where the private key came from.
    public enum Origin: String, Codable, Sendable {
        /// Generated on the gateway by `cert request`.
        case generated
        /// Brought along with its certificate by `cert import --key`.
        case imported
    }

    /// A lowercase UUID, printed by `cert request`.
    public var id: String
    /// Optional, unique, 1 to 32 characters, so it can never be mistaken for an ID.
    public var name: String?
    /// `rsa2048`, `ec-p256`, ... or, for an imported key og-host would not
    /// generate, its algorithm (`RSA-1024`).
    public var keySpec: String
    /// RFC 4514, most specific first.
    public var subject: String
    public var commonName: String?
    /// `DNS:name` and `IP:address` entries, in order.
    public var subjectAlternativeNames: [String]
    /// The request the key was generated for; nil for imported material.
    public var csrPEM: String?
    public var status: Status
    public var origin: Origin
    /// The issued leaf, PEM.
    public var certificatePEM: String?
    /// The issuers after the leaf, leaf-adjacent first, PEM.
    public var chainPEM: String?
    /// Lowercase hexadecimal.
    public var serial: String?
    public var notAfter: Date?
    /// SHA-256 over the leaf's DER, lowercase hexadecimal.
    public var fingerprint: String?
    /// Set by the inventory when the record is added.
    public internal(set) var createdAt: Date
    /// Set by the inventory on every add and update.
    public internal(set) var updatedAt: Date

    public init(id: String = UUID().uuidString.lowercased(), name: String?, keySpec: String, subject: String,
                commonName: String?, subjectAlternativeNames: [String], csrPEM: String?, status: Status,
                origin: Origin, certificatePEM: String? = nil, chainPEM: String? = nil, serial: String? = nil,
                notAfter: Date? = nil, fingerprint: String? = nil) {
        self.id = id
        self.name = name
        self.keySpec = keySpec
        self.subject = subject
        self.commonName = commonName
        self.subjectAlternativeNames = subjectAlternativeNames
        self.csrPEM = csrPEM
        self.status = status
        self.origin = origin
        self.certificatePEM = certificatePEM
        self.chainPEM = chainPEM
        self.serial = serial
        self.notAfter = notAfter
        self.fingerprint = fingerprint
        self.createdAt = Date()
        self.updatedAt = createdAt
    }

    func validate() throws {
        guard let uuid = UUID(uuidString: id), uuid.uuidString.lowercased() == id else {
            throw InventoryError.invalidValue(field: "certificate id", value: id, problem: "is not a lowercase UUID")
        }
        if let name { try RecordValidation.name(name, field: "certificate name") }
        try RecordValidation.nonEmpty(keySpec, field: "key spec")
        try RecordValidation.nonEmpty(subject, field: "subject")
        switch status {
        case .pending:
            guard certificatePEM == nil else {
                throw InventoryError.invalidValue(field: "status", value: status.rawValue,
                                                  problem: "cannot carry a certificate; mark the record issued")
            }
            guard csrPEM != nil else {
                throw InventoryError.invalidValue(field: "status", value: status.rawValue,
                                                  problem: "needs the CSR the key was generated for")
            }
        case .issued:
            guard certificatePEM != nil, serial != nil, notAfter != nil, fingerprint != nil else {
                throw InventoryError.invalidValue(field: "status", value: status.rawValue,
                                                  problem: "needs the certificate, its serial, notAfter and fingerprint")
            }
        }
    }
}

extension ManagedCertificateRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "managedCertificate"
}

extension Inventory {
    /// Adds `certificate`, stamping its times, and returns it as stored.
    /// A name another certificate uses is refused, naming the field.
    @discardableResult
    public func addManagedCertificate(_ certificate: ManagedCertificateRecord) throws -> ManagedCertificateRecord {
        try certificate.validate()
        return try write { db in
            try Self.requireNameFree(certificate, db)
            if try ManagedCertificateRecord.exists(db, key: certificate.id) {
                throw InventoryError.invalidValue(field: "certificate id", value: certificate.id,
                                                  problem: "is already another certificate's ID; use a new UUID")
            }
            var stored = certificate
            stored.createdAt = Date()
            stored.updatedAt = stored.createdAt
            try stored.insert(db)
            return try ManagedCertificateRecord.fetchOne(db, key: stored.id)!
        }
    }

    /// Replaces the stored certificate with the same ID and returns it as
    /// stored, with `updatedAt` stamped.
    @discardableResult
    public func updateManagedCertificate(_ certificate: ManagedCertificateRecord) throws -> ManagedCertificateRecord {
        try certificate.validate()
        return try write { db in
            guard let existing = try ManagedCertificateRecord.fetchOne(db, key: certificate.id) else {
                throw InventoryError.invalidValue(field: "certificate id", value: certificate.id,
                                                  problem: "matches no managed certificate; it may have been removed")
            }
            try Self.requireNameFree(certificate, db)
            var stored = certificate
            stored.createdAt = existing.createdAt
            stored.updatedAt = Date()
            try stored.update(db)
            return try ManagedCertificateRecord.fetchOne(db, key: stored.id)!
        }
    }

    /// The certificate whose ID or name is `reference`, or nil. Names are at
    /// most 32 characters and IDs are UUIDs, so the two never collide.
    public func managedCertificate(matching reference: String) throws -> ManagedCertificateRecord? {
        try read { try Self.managedCertificate(matching: reference, $0) }
    }

    /// The certificate whose issued leaf has this SHA-256 fingerprint, or nil.
    public func managedCertificate(fingerprint: String) throws -> ManagedCertificateRecord? {
        try read { try ManagedCertificateRecord.filter(Column("fingerprint") == fingerprint.lowercased()).fetchOne($0) }
    }

    /// All managed certificates, named ones by name, then unnamed ones by creation time.
    public func managedCertificates() throws -> [ManagedCertificateRecord] {
        try read { db in
            try ManagedCertificateRecord
                .order(Column("name") == nil, Column("name"), Column("createdAt"), Column("id"))
                .fetchAll(db)
        }
    }

    /// Removes the certificate whose ID or name is `reference`, with its
    /// installation records, and returns what was removed (nil when nothing
    /// matched). Refuses while it is recorded as installed on an endpoint that
    /// still exists: the caller lists those endpoints first.
    @discardableResult
    public func removeManagedCertificate(_ reference: String) throws -> ManagedCertificateRecord? {
        try write { db in
            guard let certificate = try Self.managedCertificate(matching: reference, db) else { return nil }
            let live = try Self.installations(of: certificate.id, db).filter(\.endpointExists)
            if !live.isEmpty {
                let endpoints = Set(live.compactMap(\.endpointName)).sorted().joined(separator: ", ")
                throw InventoryError.invalidValue(
                    field: "certificate", value: certificate.name ?? certificate.id,
                    problem: "is installed on endpoint(s) \(endpoints); remove it from them first")
            }
            try CertificateInstallation.filter(Column("certificateID") == certificate.id).deleteAll(db)
            try certificate.delete(db)
            return certificate
        }
    }

    private static func managedCertificate(matching reference: String, _ db: Database) throws -> ManagedCertificateRecord? {
        if UUID(uuidString: reference) != nil {
            return try ManagedCertificateRecord.fetchOne(db, key: reference.lowercased())
        }
        return try ManagedCertificateRecord.filter(Column("name") == reference).fetchOne(db)
    }

    private static func requireNameFree(_ certificate: ManagedCertificateRecord, _ db: Database) throws {
        guard let name = certificate.name else { return }
        let taken = try ManagedCertificateRecord
            .filter(Column("name") == name && Column("id") != certificate.id).fetchCount(db) > 0
        if taken {
            throw InventoryError.invalidValue(field: "certificate name", value: name,
                                              problem: "is already used by another certificate; choose another name")
        }
    }
}
