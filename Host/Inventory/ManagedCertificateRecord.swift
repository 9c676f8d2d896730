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
    /// Carried by the CURRENT version of lineage `name` only: moving it to a
    /// newer version is how a renewal takes over every lookup by name.
    public var name: String?
    /// The name this certificate is a version of, kept when the name moves on
    /// to a newer version; nil for a certificate that never had a name.
    public var lineage: String?
    /// 1, 2, ... within the lineage, assigned by the inventory when the record
    /// is added; nil without a lineage.
    public var version: Int?
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
    /// Start of the issued leaf's validity; nil while pending and for records
    /// stored before versions existed (read it from `certificatePEM` then).
    public var notBefore: Date?
    /// SHA-256 over the leaf's DER, lowercase hexadecimal.
    public var fingerprint: String?
    /// Set by the inventory when the record is added.
    public internal(set) var createdAt: Date
    /// Set by the inventory on every add and update.
    public internal(set) var updatedAt: Date

    public init(id: String = UUID().uuidString.lowercased(), name: String?, keySpec: String, subject: String,
                commonName: String?, subjectAlternativeNames: [String], csrPEM: String?, status: Status,
                origin: Origin, certificatePEM: String? = nil, chainPEM: String? = nil, serial: String? = nil,
                notAfter: Date? = nil, fingerprint: String? = nil, lineage: String? = nil, version: Int? = nil,
                notBefore: Date? = nil) {
        self.id = id
        self.name = name
        self.lineage = lineage
        self.version = version
        self.notBefore = notBefore
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
        if let lineage {
            try RecordValidation.name(lineage, field: "certificate lineage")
            if let name, name != lineage {
                throw InventoryError.invalidValue(field: "certificate name", value: name,
                                                  problem: "differs from the lineage '\(lineage)' it is a version of; "
                                                      + "a version carries only its own lineage's name")
            }
        }
        if let version {
            guard lineage != nil || name != nil else {
                throw InventoryError.invalidValue(field: "certificate version", value: "\(version)",
                                                  problem: "needs a lineage; an unnamed certificate has no versions")
            }
            guard version >= 1 else {
                throw InventoryError.invalidValue(field: "certificate version", value: "\(version)",
                                                  problem: "is not a version number; versions count from 1")
            }
        }
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

extension SQLiteInventory {
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
            var stored = try Self.placedInLineage(certificate, db)
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
            if existing.lineage != nil {
                guard certificate.lineage == existing.lineage, certificate.version == existing.version,
                      certificate.name == existing.name else {
                    throw InventoryError.invalidValue(
                        field: "certificate lineage", value: certificate.lineage ?? "none",
                        problem: "cannot change for a stored version; a name moves to a version only when it is "
                            + "issued as the newest one (saveIssuedVersion)")
                }
            } else if certificate.name != nil || certificate.lineage != nil {
                // An unnamed certificate given a name starts a lineage of its own.
                stored.version = nil
                stored = try Self.placedInLineage(stored, db)
            }
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

    /// Removes what `reference` names, with the installation records, and
    /// returns the removed records (empty when nothing matched):
    /// - a name: the whole lineage, every version; refused while the lineage
    ///   has bindings (`InventoryError.certificateBound` names them);
    /// - the ID of an older or pending version: that version only;
    /// - the ID of the current version: refused while other versions exist
    ///   (the name cannot fall back silently); otherwise as its name;
    /// - the ID of an unnamed certificate: that certificate.
    @discardableResult
    public func removeManagedCertificate(_ reference: String) throws -> [ManagedCertificateRecord] {
        try write { db in
            guard let certificate = try Self.managedCertificate(matching: reference, db) else { return [] }
            var removed = [certificate]
            if let lineage = certificate.lineage {
                let versions = try Self.versions(lineage: lineage, db)
                let isCurrent = certificate.name == lineage
                if isCurrent, UUID(uuidString: reference) != nil, versions.count > 1 {
                    throw InventoryError.invalidValue(
                        field: "certificate", value: reference,
                        problem: "is the current version of '\(lineage)', which has \(versions.count - 1) other "
                            + "version(s); remove the whole lineage by its name, or remove older versions by their IDs")
                }
                if isCurrent {
                    let bound = try Self.bindingDescriptions(lineage: lineage, db)
                    if !bound.isEmpty { throw InventoryError.certificateBound(certificate: lineage, bindings: bound) }
                    removed = versions
                }
            }
            for record in removed {
                try CertificateInstallation.filter(Column("certificateID") == record.id).deleteAll(db)
                try record.delete(db)
            }
            return removed
        }
    }

    private static func managedCertificate(matching reference: String, _ db: Database) throws -> ManagedCertificateRecord? {
        if UUID(uuidString: reference) != nil {
            return try ManagedCertificateRecord.fetchOne(db, key: reference.lowercased())
        }
        return try ManagedCertificateRecord.filter(Column("name") == reference).fetchOne(db)
    }

    /// `certificate` with its lineage (its name, when it has one) and its
    /// version number (one past the lineage's highest) filled in. A version
    /// without a name must belong to a lineage that exists.
    static func placedInLineage(_ certificate: ManagedCertificateRecord, _ db: Database) throws -> ManagedCertificateRecord {
        var placed = certificate
        if placed.lineage == nil { placed.lineage = placed.name }
        guard let lineage = placed.lineage else { return placed }
        if placed.name == nil, try ManagedCertificateRecord.filter(Column("lineage") == lineage).fetchCount(db) == 0 {
            throw InventoryError.certificateNotFound(lineage)
        }
        if let version = placed.version {
            if try ManagedCertificateRecord.filter(Column("lineage") == lineage && Column("version") == version)
                .filter(Column("id") != placed.id).fetchCount(db) > 0 {
                throw InventoryError.invalidValue(field: "certificate version", value: "\(version)",
                                                  problem: "already exists in lineage '\(lineage)'")
            }
        } else {
            let highest = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM managedCertificate WHERE lineage = ?",
                                           arguments: [lineage]) ?? 0
            placed.version = highest + 1
        }
        return placed
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
