import Foundation
import GRDB

extension EndpointRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "endpoint"
}

extension SQLiteInventory {
    /// Adds `endpoint`, stamping its times, and returns it as stored.
    /// Throws `InventoryError.nameTaken` when the name is in use.
    /// `hostKeyPin` (a fingerprint the operator typed) replaces the host's remembered key in the same transaction.
    @discardableResult
    public func addEndpoint(_ endpoint: EndpointRecord, hostKeyPin: HostKeyPin?) throws -> EndpointRecord {
        try endpoint.validate()
        try hostKeyPin?.validate()
        return try write { db in
            if try EndpointRecord.filter(Column("name") == endpoint.name).fetchCount(db) > 0 {
                throw InventoryError.nameTaken(endpoint.name)
            }
            if try EndpointRecord.exists(db, key: endpoint.id) {
                throw InventoryError.invalidValue(field: "id", value: endpoint.id,
                                                  problem: "is already another endpoint's instance ID; use a new UUID")
            }
            try Self.requireStoresExist(for: endpoint, db)
            var stored = endpoint
            stored.createdAt = Date()
            stored.updatedAt = stored.createdAt
            try stored.insert(db)
            if var pin = hostKeyPin {
                pin.pinnedAt = Date()
                try pin.upsert(db)
            }
            return try EndpointRecord.fetchOne(db, key: stored.id)!
        }
    }

    /// `tls update`: replaces the settings of the endpoint with `endpoint.id` (instance ID, creation
    /// time, bindings and history stay), and with `hostKeyPin` the host's remembered key, in one
    /// transaction. Refused while a job holds the endpoint or an install on it is unfinished:
    /// recovery must reach the endpoint the way the interrupted job did.
    @discardableResult
    public func updateEndpointSettings(_ endpoint: EndpointRecord, hostKeyPin: HostKeyPin?) throws -> EndpointRecord {
        try endpoint.validate()
        try hostKeyPin?.validate()
        return try write { db in
            guard let existing = try EndpointRecord.fetchOne(db, key: endpoint.id) else {
                throw InventoryError.endpointNotFound(endpoint.id)
            }
            if let lease = try EndpointLeaseRow.fetchOne(db, key: endpoint.id)?.lease, lease.expiresAt > Date() {
                throw InventoryError.endpointBusy(endpoint: existing.name, lease: lease)
            }
            if let job = try InstallJournalEntry.unfinished(forEndpoint: endpoint.id).fetchOne(db) {
                throw InventoryError.endpointHasUnfinishedInstall(endpoint: existing.name, jobID: job.jobID)
            }
            if try EndpointRecord.filter(Column("name") == endpoint.name && Column("id") != endpoint.id).fetchCount(db) > 0 {
                throw InventoryError.nameTaken(endpoint.name)
            }
            try Self.requireStoresExist(for: endpoint, db)
            var stored = endpoint
            stored.createdAt = existing.createdAt
            stored.updatedAt = Date()
            try stored.update(db)
            if var pin = hostKeyPin {
                pin.pinnedAt = Date()
                try pin.upsert(db)
            }
            return try EndpointRecord.fetchOne(db, key: stored.id)!
        }
    }

    /// Replaces the stored endpoint with the same ID (a rename included) and
    /// returns it as stored, with `updatedAt` stamped.
    @discardableResult
    public func updateEndpoint(_ endpoint: EndpointRecord) throws -> EndpointRecord {
        try endpoint.validate()
        return try write { db in
            guard let existing = try EndpointRecord.fetchOne(db, key: endpoint.id) else {
                throw InventoryError.endpointNotFound(endpoint.id)
            }
            if try EndpointRecord.filter(Column("name") == endpoint.name && Column("id") != endpoint.id)
                .fetchCount(db) > 0 {
                throw InventoryError.nameTaken(endpoint.name)
            }
            try Self.requireStoresExist(for: endpoint, db)
            var stored = endpoint
            stored.createdAt = existing.createdAt
            stored.updatedAt = Date()
            try stored.update(db)
            return try EndpointRecord.fetchOne(db, key: stored.id)!
        }
    }

    public func endpoint(id: String) throws -> EndpointRecord? {
        try read { try EndpointRecord.fetchOne($0, key: id.lowercased()) }
    }

    public func endpoint(named name: String) throws -> EndpointRecord? {
        try read { try EndpointRecord.filter(Column("name") == name).fetchOne($0) }
    }

    /// The endpoint whose instance ID or name is `reference`, as users type
    /// either on the command line. Names are too short to be UUIDs, so this is unambiguous.
    public func endpoint(matching reference: String) throws -> EndpointRecord {
        guard let found = try read({ try Self.endpoint(matching: reference, $0) }) else {
            throw InventoryError.endpointNotFound(reference)
        }
        return found
    }

    /// All endpoints ordered by name (byte order, as names are case-sensitive).
    public func endpoints() throws -> [EndpointRecord] {
        try read { try EndpointRecord.order(Column("name")).fetchAll($0) }
    }

    /// Removes the endpoint whose ID or name is `reference` and returns what
    /// was removed, so the caller can also remove the secrets it referenced.
    /// Refuses while an install on it is unfinished: recovery needs the record.
    @discardableResult
    public func removeEndpoint(_ reference: String) throws -> EndpointRecord {
        try write { db in
            guard let endpoint = try Self.endpoint(matching: reference, db) else {
                throw InventoryError.endpointNotFound(reference)
            }
            if let lease = try EndpointLeaseRow.fetchOne(db, key: endpoint.id)?.lease, lease.expiresAt > Date() {
                throw InventoryError.endpointBusy(endpoint: endpoint.name, lease: lease)
            }
            if let job = try InstallJournalEntry.unfinished(forEndpoint: endpoint.id).fetchOne(db) {
                throw InventoryError.endpointHasUnfinishedInstall(endpoint: endpoint.name, jobID: job.jobID)
            }
            try EndpointLeaseRow.deleteOne(db, key: endpoint.id)
            try Self.removeBindings(endpointID: endpoint.id, db)
            try endpoint.delete(db)
            return endpoint
        }
    }

    private static func endpoint(matching reference: String, _ db: Database) throws -> EndpointRecord? {
        if UUID(uuidString: reference) != nil {
            return try storedEndpoint(db, whereColumn: "id", equals: reference.lowercased())
        }
        return try storedEndpoint(db, whereColumn: "name", equals: reference)
    }

    /// The endpoint whose `column` (`id` or `name`, both unique) holds `value`.
    ///
    /// Every job looks its endpoint up first, so through a kept statement
    /// naming its columns, read column by column: GRDB's Codable decoding of
    /// the record cost about 4 M instructions and its date decoding 2 M more
    /// on first use (see `DatabaseDate`). The values are those decoding gives;
    /// `secretOptions` is JSON text, read with a JSONDecoder as GRDB reads it.
    static func storedEndpoint(_ db: Database, whereColumn column: String, equals value: String) throws -> EndpointRecord? {
        let sql = "SELECT id, name, type, pluginName, connectionType, host, port, user, credentialStore, credentialID, "
            + "secretOptions, options, createdAt, updatedAt FROM endpoint WHERE \(column.quotedDatabaseIdentifier) = ?"
        guard let row = try Row.fetchOne(db.cachedStatement(sql: sql), arguments: [value]) else { return nil }
        let secretOptionsText: String = try row.decode(atIndex: 10)
        let secretOptions = secretOptionsText == "{}" ? [:]
            : try JSONDecoder().decode([String: CredentialReference].self, from: Data(secretOptionsText.utf8))
        return EndpointRecord(storedID: try row.decode(atIndex: 0), name: try row.decode(atIndex: 1), type: try row.decode(atIndex: 2),
                              pluginName: try row.decode(atIndex: 3), connectionType: try row.decode(atIndex: 4),
                              host: try row.decode(atIndex: 5), port: try row.decode(atIndex: 6), user: try row.decode(atIndex: 7),
                              credentialStore: try row.decode(atIndex: 8), credentialID: try row.decode(atIndex: 9),
                              secretOptions: secretOptions, options: try row.decode(atIndex: 11),
                              createdAt: try DatabaseDate.decode(row, atIndex: 12), updatedAt: try DatabaseDate.decode(row, atIndex: 13))
    }

    private static func requireStoresExist(for endpoint: EndpointRecord, _ db: Database) throws {
        for (field, reference) in endpoint.credentialReferences {
            guard try CredentialStoreRecord.exists(db, key: reference.store) else {
                throw InventoryError.unknownCredentialStore(field: field, store: reference.store)
            }
            try RecordValidation.nonEmpty(reference.id, field: "\(field) credential ID")
        }
    }
}
