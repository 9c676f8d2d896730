import Foundation
import GRDB

extension CredentialStoreRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "credentialStore"
}

extension SQLiteInventory {
    /// All credential stores ordered by name; `default` is always among them.
    public func credentialStores() throws -> [CredentialStoreRecord] {
        try read { try CredentialStoreRecord.order(Column("name")).fetchAll($0) }
    }

    /// Every job that reads a secret asks this, so through a kept statement
    /// read column by column (see `DatabaseDate`).
    public func credentialStore(named name: String) throws -> CredentialStoreRecord? {
        try read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT name, kind, settings, createdAt FROM credentialStore WHERE name = ?"),
                                             arguments: [name]) else { return nil }
            let kindText: String = try row.decode(atIndex: 1)
            guard let kind = CredentialStoreRecord.Kind(rawValue: kindText) else {
                throw InventoryError.database(path: path, message: "credential store '\(name)' has unknown kind '\(kindText)'")
            }
            var store = CredentialStoreRecord(name: try row.decode(atIndex: 0), kind: kind, settings: try row.decode(atIndex: 2))
            store.createdAt = try DatabaseDate.decode(row, atIndex: 3)
            return store
        }
    }

    /// Adds `store`, stamping its creation time, and returns it as stored.
    @discardableResult
    public func addCredentialStore(_ store: CredentialStoreRecord) throws -> CredentialStoreRecord {
        try store.validate()
        return try write { db in
            if try CredentialStoreRecord.exists(db, key: store.name) {
                throw InventoryError.credentialStoreNameTaken(store.name)
            }
            var stored = store
            stored.createdAt = Date()
            try stored.insert(db)
            return try CredentialStoreRecord.fetchOne(db, key: store.name)!
        }
    }

    /// Replaces the kind and settings of the store named `store.name`. The
    /// default store stays local.
    @discardableResult
    public func updateCredentialStore(_ store: CredentialStoreRecord) throws -> CredentialStoreRecord {
        try store.validate()
        if store.name == CredentialStoreRecord.defaultName && store.kind != .local {
            throw InventoryError.defaultStoreIsBuiltIn(operation: "changed to kind \(store.kind.rawValue)")
        }
        return try write { db in
            guard let existing = try CredentialStoreRecord.fetchOne(db, key: store.name) else {
                throw InventoryError.credentialStoreNotFound(store.name)
            }
            var stored = store
            stored.createdAt = existing.createdAt
            try stored.update(db)
            return try CredentialStoreRecord.fetchOne(db, key: store.name)!
        }
    }

    /// Removes the store named `name`. Refuses the default store and any store
    /// an endpoint still refers to; the error lists those endpoints.
    public func removeCredentialStore(named name: String) throws {
        if name == CredentialStoreRecord.defaultName {
            throw InventoryError.defaultStoreIsBuiltIn(operation: "removed")
        }
        try write { db in
            guard try CredentialStoreRecord.exists(db, key: name) else {
                throw InventoryError.credentialStoreNotFound(name)
            }
            // Secret-option references live in a JSON column, so the check reads
            // every endpoint; inventories hold hundreds of endpoints, not millions.
            let users = try EndpointRecord.order(Column("name")).fetchAll(db)
                .filter { $0.credentialReferences.contains { $0.reference.store == name } }
                .map(\.name)
            guard users.isEmpty else {
                throw InventoryError.credentialStoreInUse(store: name, endpoints: users)
            }
            _ = try CredentialStoreRecord.deleteOne(db, key: name)
        }
    }
}
