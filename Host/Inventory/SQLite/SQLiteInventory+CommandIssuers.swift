import Foundation
import GRDB

extension CommandIssuerRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "commandIssuer"
}

/// Command issuers: an operator's program (an internal CA's signing tool) that
/// receives a CSR in PEM on standard input and answers with the certificate
/// chain in PEM on standard output. Only its argv is kept: it runs without a
/// shell, and no secret is ever passed to it.
enum CommandIssuerSchema {
    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("command-issuers") { db in
            try db.create(table: "commandIssuer") { table in
                table.primaryKey("name", .text)
                // JSON array: the program and its arguments.
                table.column("argv", .text).notNull()
                table.column("timeoutSeconds", .integer).notNull()
                table.column("createdAt", .datetime).notNull()
            }
        }
    }
}

extension SQLiteInventory {
    /// Adds a command issuer; a name another issuer (command or ACME) uses is refused, naming the field.
    public func addCommandIssuer(_ issuer: CommandIssuerRecord) throws {
        try RecordValidation.name(issuer.name, field: "issuer name")
        try write { db in
            if try CommandIssuerRecord.exists(db, key: issuer.name) || ACMEIssuerRecord.exists(db, key: issuer.name) {
                throw InventoryError.invalidValue(field: "issuer name", value: issuer.name,
                                                  problem: "is already used by another issuer; choose another name")
            }
            try issuer.insert(db)
        }
    }

    public func commandIssuer(named name: String) throws -> CommandIssuerRecord? {
        try read { try CommandIssuerRecord.fetchOne($0, key: name) }
    }

    public func commandIssuers() throws -> [CommandIssuerRecord] {
        try read { try CommandIssuerRecord.order(Column("name")).fetchAll($0) }
    }

    @discardableResult
    public func removeCommandIssuer(named name: String) throws -> CommandIssuerRecord? {
        try write { db in
            guard let issuer = try CommandIssuerRecord.fetchOne(db, key: name) else { return nil }
            try issuer.delete(db)
            return issuer
        }
    }
}
