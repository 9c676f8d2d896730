import Foundation
import GRDB

extension CertificateBinding: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "certificateBinding"
}

/// Certificates with versions and bindings (issue 11).
///
/// A managed certificate's NAME is a lineage; each `managedCertificate` row is
/// a version of it (`lineage`, `version`). Exactly one row of a lineage carries
/// the name: the current version, the newest issued one (or the first, while
/// it is still pending), so every lookup by name finds what should be served.
/// A binding says "this lineage belongs on this endpoint (node, alias)".
enum CertificateLineageSchema {
    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("certificate-lineage") { db in
            try db.alter(table: "managedCertificate") { table in
                table.add(column: "lineage", .text)
                table.add(column: "version", .integer)
                table.add(column: "notBefore", .datetime)
            }
            // Every named certificate starts its lineage. Before versions,
            // `cert issue` for a taken name left the previous holder unnamed;
            // its completed ACME order still says which name it was issued
            // for, so those rows rejoin their lineage as older versions.
            try db.execute(sql: "UPDATE managedCertificate SET lineage = name WHERE name IS NOT NULL")
            try db.execute(sql: """
                UPDATE managedCertificate SET lineage = (
                    SELECT o.certificateName FROM acmeOrder o
                    WHERE o.certificateID = managedCertificate.id AND o.state = 'completed'
                    ORDER BY o.updatedAt DESC LIMIT 1)
                WHERE lineage IS NULL
                """)
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, lineage FROM managedCertificate WHERE lineage IS NOT NULL ORDER BY lineage, createdAt, id
                """)
            var counts: [String: Int] = [:]
            for row in rows {
                let lineage: String = row["lineage"]
                counts[lineage, default: 0] += 1
                try db.execute(sql: "UPDATE managedCertificate SET version = ? WHERE id = ?",
                               arguments: [counts[lineage]!, row["id"] as String])
            }
            try db.create(index: "managedCertificate_lineage_version", on: "managedCertificate",
                          columns: ["lineage", "version"], unique: true)

            try db.create(table: "certificateBinding") { table in
                table.column("lineage", .text).notNull()
                table.column("endpointID", .text).notNull().indexed()
                table.column("node", .text).notNull()
                table.column("alias", .text)
                table.column("createdAt", .datetime).notNull()
                table.primaryKey(["lineage", "endpointID", "node"])
            }

            // Installations of named certificates recorded before bindings
            // existed become bindings: that is where the operator put them.
            try db.execute(sql: """
                INSERT OR IGNORE INTO certificateBinding (lineage, endpointID, node, alias, createdAt)
                SELECT m.lineage, i.endpointID, i.node, NULL, MIN(i.installedAt)
                FROM certificateInstallation i
                JOIN managedCertificate m ON m.id = i.certificateID
                JOIN endpoint e ON e.id = i.endpointID
                WHERE m.lineage IS NOT NULL
                GROUP BY m.lineage, i.endpointID, i.node
                """)

            // Where the install verified the served certificate (host:port and
            // the SNI name sent), so a watch can look again later.
            try db.alter(table: "certificateInstallation") { table in
                table.add(column: "servedAddress", .text)
                table.add(column: "servedName", .text)
            }
        }
    }
}

extension SQLiteInventory {
    // MARK: - Versions

    /// The current version of `lineage`: the row carrying the name.
    public func currentCertificate(lineage: String) throws -> ManagedCertificateRecord? {
        try read { try ManagedCertificateRecord.filter(Column("name") == lineage).fetchOne($0) }
    }

    /// Every version of `lineage`, newest first.
    public func certificateVersions(lineage: String) throws -> [ManagedCertificateRecord] {
        try read { try Self.versions(lineage: lineage, $0) }
    }

    /// The current version of every lineage and every unnamed certificate:
    /// what `cert list` shows. Named ones by name, then unnamed by creation time.
    public func currentCertificates() throws -> [ManagedCertificateRecord] {
        try read { db in
            try ManagedCertificateRecord
                .filter(Column("name") != nil || Column("lineage") == nil)
                .order(Column("name") == nil, Column("name"), Column("createdAt"), Column("id"))
                .fetchAll(db)
        }
    }

    /// Stores issued version `certificate` (inserting it, or updating the row
    /// with its ID) and, when it is the newest issued version of its lineage,
    /// moves the name to it — in one transaction, so a lookup by name sees the
    /// old version or the new one, never neither. Returns the stored record
    /// and the ID of the version that gave up the name (nil when none did).
    @discardableResult
    public func saveIssuedVersion(_ certificate: ManagedCertificateRecord) throws
        -> (stored: ManagedCertificateRecord, previousID: String?) {
        try write { try Self.saveIssuedVersion(certificate, $0) }
    }

    static func saveIssuedVersion(_ certificate: ManagedCertificateRecord, _ db: Database) throws
        -> (stored: ManagedCertificateRecord, previousID: String?) {
        guard let lineage = certificate.lineage ?? certificate.name else {
            throw InventoryError.invalidValue(field: "certificate lineage", value: certificate.id,
                                              problem: "is missing; only a version of a named certificate is saved this way")
        }
        guard certificate.status == .issued else {
            throw InventoryError.invalidValue(field: "status", value: certificate.status.rawValue,
                                              problem: "must be issued; a pending version never takes the name")
        }
        var record = certificate
        record.lineage = lineage
        let existing = try ManagedCertificateRecord.fetchOne(db, key: record.id)
        if let existing {
            guard existing.lineage == lineage else {
                throw InventoryError.invalidValue(field: "certificate lineage", value: lineage,
                                                  problem: "differs from the stored version's '\(existing.lineage ?? "none")'")
            }
            record.version = existing.version
            record.name = existing.name
        } else {
            // Placed as if named, so a brand-new lineage is accepted; whether
            // it keeps the name is decided below.
            record.name = lineage
            record.version = nil
            record = try placedInLineage(record, db)
            record.name = nil
        }
        try record.validate()

        var previousID: String?
        let holder = try ManagedCertificateRecord.filter(Column("name") == lineage).fetchOne(db)
        if var holder, holder.id != record.id {
            let newer = holder.status == .pending || (holder.version ?? 0) < (record.version ?? 0)
            if newer {
                holder.name = nil
                holder.updatedAt = Date()
                try holder.update(db)
                previousID = holder.id
                record.name = lineage
            }
        } else {
            record.name = lineage
        }
        record.updatedAt = Date()
        if let existing {
            record.createdAt = existing.createdAt
            try record.update(db)
        } else {
            record.createdAt = record.updatedAt
            try record.insert(db)
        }
        return (try ManagedCertificateRecord.fetchOne(db, key: record.id)!, previousID)
    }

    static func versions(lineage: String, _ db: Database) throws -> [ManagedCertificateRecord] {
        try ManagedCertificateRecord.filter(Column("lineage") == lineage)
            .order(Column("version").desc, Column("createdAt").desc).fetchAll(db)
    }

    /// Every installation of any version of `lineage`, with the endpoint's
    /// current name (nil when it was removed) and the version installed.
    public func installations(ofLineage lineage: String) throws
        -> [(installation: CertificateInstallation, endpointName: String?, version: Int?)] {
        try read { db in
            try Self.versions(lineage: lineage, db).flatMap { record in
                try Self.installations(of: record.id, db).map { ($0.installation, $0.endpointName, record.version) }
            }
        }
    }

    // MARK: - Bindings

    /// Binds `lineage` to `node` of endpoint `endpointID` ("" = the plugin's
    /// choice). Idempotent: binding again returns the stored binding, taking
    /// `alias` when one is given and keeping the stored one otherwise.
    @discardableResult
    public func bind(lineage: String, endpointID: String, node: String, alias: String?) throws -> CertificateBinding {
        try write { try Self.bind(lineage: lineage, endpointID: endpointID, node: node, alias: alias, $0) }
    }

    static func bind(lineage: String, endpointID: String, node: String, alias: String?, _ db: Database) throws
        -> CertificateBinding {
        guard try ManagedCertificateRecord.exists(db, where: "name", equals: lineage) else {
            throw InventoryError.certificateNotFound(lineage)
        }
        guard try EndpointRecord.exists(db, where: "id", equals: endpointID) else {
            throw InventoryError.endpointNotFound(endpointID)
        }
        try RecordValidation.name(node.isEmpty ? "-" : node, field: "node", maximumLength: 1024)
        if let alias { try RecordValidation.name(alias, field: "alias", maximumLength: 1024) }
        let keyColumns = ["lineage", "endpointID", "node"]
        if var existing = try CertificateBinding.fetchOne(db, whereColumns: keyColumns, equal: [lineage, endpointID, node]) {
            if let alias, alias != existing.alias {
                existing.alias = alias
                try existing.update(db)
            }
            return existing
        }
        let binding = CertificateBinding(lineage: lineage, endpointID: endpointID, node: node, alias: alias)
        try binding.insert(db)
        return try CertificateBinding.fetchOne(db, whereColumns: keyColumns, equal: [lineage, endpointID, node])!
    }

    /// Removes the binding of `lineage` to `node` of `endpointID` (every node
    /// of it when `node` is nil); returns how many bindings went.
    @discardableResult
    public func unbind(lineage: String, endpointID: String, node: String?) throws -> Int {
        try write { db in
            var request = CertificateBinding.filter(Column("lineage") == lineage && Column("endpointID") == endpointID)
            if let node { request = request.filter(Column("node") == node) }
            return try request.deleteAll(db)
        }
    }

    /// Where `lineage` belongs, oldest binding first.
    public func bindings(ofLineage lineage: String) throws -> [CertificateBinding] {
        try read { db in
            try CertificateBinding.filter(Column("lineage") == lineage)
                .order(Column("createdAt"), Column("endpointID"), Column("node")).fetchAll(db)
        }
    }

    /// What belongs on endpoint `endpointID`, by lineage and node.
    public func bindings(onEndpoint endpointID: String) throws -> [CertificateBinding] {
        try read { db in
            try CertificateBinding.filter(Column("endpointID") == endpointID)
                .order(Column("lineage"), Column("node")).fetchAll(db)
        }
    }

    /// Every binding, by lineage, endpoint and node: what the served-certificate watch probes.
    public func allBindings() throws -> [CertificateBinding] {
        try read { db in
            try CertificateBinding.order(Column("lineage"), Column("endpointID"), Column("node")).fetchAll(db)
        }
    }

    /// "endpoint (node N)" for each binding of `lineage`, for refusals.
    static func bindingDescriptions(lineage: String, _ db: Database) throws -> [String] {
        let bindings = try CertificateBinding.filter(Column("lineage") == lineage)
            .order(Column("endpointID"), Column("node")).fetchAll(db)
        return try bindings.map { binding in
            let name = try String.fetchOne(db, sql: "SELECT name FROM endpoint WHERE id = ?",
                                           arguments: [binding.endpointID]) ?? binding.endpointID
            return binding.node.isEmpty ? name : "\(name) (node \(binding.node))"
        }
    }

    static func removeBindings(endpointID: String, _ db: Database) throws {
        try CertificateBinding.filter(Column("endpointID") == endpointID).deleteAll(db)
    }
}
