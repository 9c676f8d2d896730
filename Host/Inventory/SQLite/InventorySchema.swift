import Foundation
import GRDB

/// The inventory's schema history. Migrations are append-only: a released
/// migration is never edited, a change is a new migration at the end, and the
/// number applied is `InventoryStore.schemaVersion`. Migrations name tables and
/// columns literally rather than through the record types, so a later change
/// to a record cannot alter what an old migration did.
enum InventorySchema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("1-credential-stores") { db in
            try db.create(table: "credentialStore") { table in
                table.primaryKey("name", .text)
                table.column("kind", .text).notNull()
                table.column("settings", .text).notNull()
                table.column("createdAt", .datetime).notNull()
            }
            // The store inline secrets go to; the host cannot work without it.
            try db.execute(sql: "INSERT INTO credentialStore (name, kind, settings, createdAt) VALUES (?, ?, ?, ?)",
                           arguments: ["default", "local", "{}", Date()])
        }

        migrator.registerMigration("2-endpoints") { db in
            try db.create(table: "endpoint") { table in
                table.primaryKey("id", .text)
                table.column("name", .text).notNull().unique()
                table.column("type", .text).notNull()
                table.column("pluginName", .text).notNull()
                table.column("connectionType", .text).notNull()
                table.column("host", .text).notNull()
                table.column("port", .integer)
                table.column("user", .text)
                table.column("credentialStore", .text)
                table.column("credentialID", .text)
                table.column("secretOptions", .text).notNull()
                table.column("options", .text).notNull()
                table.column("createdAt", .datetime).notNull()
                table.column("updatedAt", .datetime).notNull()
            }
        }

        migrator.registerMigration("3-audit") { db in
            try db.create(table: "audit") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("time", .datetime).notNull().indexed()
                table.column("actor", .text).notNull()
                table.column("action", .text).notNull().indexed()
                table.column("subject", .text).notNull().indexed()
                table.column("outcome", .text).notNull()
                table.column("detail", .text).notNull()
            }
        }

        migrator.registerMigration("4-host-key-pins") { db in
            try db.create(table: "hostKeyPin") { table in
                table.column("host", .text).notNull()
                table.column("port", .integer).notNull()
                table.column("fingerprint", .text).notNull()
                table.column("pinnedAt", .datetime).notNull()
                table.primaryKey(["host", "port"])
            }
        }

        migrator.registerMigration("5-install-journal") { db in
            try db.create(table: "installJournal") { table in
                table.primaryKey("jobID", .text)
                table.column("endpointID", .text).notNull().indexed()
                table.column("state", .text).notNull()
                table.column("payload", .text).notNull()
                table.column("startedAt", .datetime).notNull()
                table.column("updatedAt", .datetime).notNull()
                table.column("finishedAt", .datetime)
            }
        }

        // Managed certificates, where each is installed, and the trust anchors
        // imported chains are validated against. Keys are not here: they are
        // sealed files under <data>/keys.
        migrator.registerMigration("6-certificates") { db in
            try db.create(table: "managedCertificate") { table in
                table.primaryKey("id", .text)
                table.column("name", .text).unique()
                table.column("keySpec", .text).notNull()
                table.column("subject", .text).notNull()
                table.column("commonName", .text)
                table.column("subjectAlternativeNames", .text).notNull()
                table.column("csrPEM", .text)
                table.column("status", .text).notNull()
                table.column("origin", .text).notNull()
                table.column("certificatePEM", .text)
                table.column("chainPEM", .text)
                table.column("serial", .text)
                table.column("notAfter", .datetime)
                table.column("fingerprint", .text).indexed()
                table.column("createdAt", .datetime).notNull()
                table.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "certificateInstallation") { table in
                table.column("certificateID", .text).notNull()
                table.column("endpointID", .text).notNull().indexed()
                table.column("node", .text).notNull()
                table.column("installedAt", .datetime).notNull()
                table.primaryKey(["certificateID", "endpointID", "node"])
            }
            try db.create(table: "trustAnchor") { table in
                table.primaryKey("fingerprint", .text)
                table.column("name", .text).notNull().unique()
                table.column("subject", .text).notNull()
                table.column("notAfter", .datetime).notNull()
                table.column("pem", .text).notNull()
                table.column("addedAt", .datetime).notNull()
            }
        }

        IssuanceSchema.register(&migrator)

        // Jobs get owners, leases and fencing tokens; endpoints get a lock.
        // Unfinished entries from before have no live owner: their lease is
        // left NULL (expired), so the next job on their endpoint recovers them.
        migrator.registerMigration("job-ownership") { db in
            try db.create(table: "gatewayIdentity") { table in
                table.primaryKey("id", .text)
                table.column("createdAt", .datetime).notNull()
            }
            try db.execute(sql: "INSERT INTO gatewayIdentity (id, createdAt) VALUES (?, ?)",
                           arguments: [UUID().uuidString.lowercased(), Date()])
            try db.alter(table: "installJournal") { table in
                table.add(column: "ownerGatewayID", .text).notNull().defaults(to: "")
                table.add(column: "ownerPID", .integer).notNull().defaults(to: 0)
                table.add(column: "ownerHost", .text).notNull().defaults(to: "")
                table.add(column: "leaseExpiresAt", .datetime)
                table.add(column: "fencingToken", .integer).notNull().defaults(to: 0)
            }
            try db.create(table: "endpointLease") { table in
                table.primaryKey("endpointID", .text)
                table.column("jobID", .text)
                table.column("kind", .text).notNull()
                table.column("ownerGatewayID", .text).notNull()
                table.column("ownerPID", .integer).notNull()
                table.column("ownerHost", .text).notNull()
                table.column("acquiredAt", .datetime).notNull()
                table.column("expiresAt", .datetime).notNull()
                table.column("fencingToken", .integer).notNull()
            }
        }

        EventOutboxSchema.register(&migrator)
        CertificateLineageSchema.register(&migrator)
        RenewalScheduleSchema.register(&migrator)
        CommandIssuerSchema.register(&migrator)
        BindingDeploySchema.register(&migrator)
        BindingDeploySchema.registerDueIndex(&migrator)
        IssuanceSchema.registerAnsweredChallenges(&migrator)

        return migrator
    }()
}
