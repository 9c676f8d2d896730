import Foundation
import GRDB

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
            if let lineage = certificate.lineage, removed.contains(where: { $0.name == lineage }) {
                // The lineage is gone: its renewal schedule (settings, policy) belonged to it alone.
                try db.execute(sql: "DELETE FROM renewalSchedule WHERE lineage = ?", arguments: [lineage])
            }
            return removed
        }
    }

    private static func managedCertificate(matching reference: String, _ db: Database) throws -> ManagedCertificateRecord? {
        if UUID(uuidString: reference) != nil {
            return try ManagedCertificateRecord.fetchOne(db, where: "id", equals: reference.lowercased())
        }
        return try ManagedCertificateRecord.fetchOne(db, where: "name", equals: reference)
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
