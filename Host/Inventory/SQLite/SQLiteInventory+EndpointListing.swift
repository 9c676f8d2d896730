import Foundation
import GRDB

extension SQLiteInventory {
    /// Every endpoint, ordered by name (byte order, like `endpoints()`).
    public func endpointListingRows() throws -> [EndpointListingRow] {
        try read { db in
            var rows: [EndpointListingRow] = []
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT id, name, type, pluginName, connectionType, host, port, user, credentialStore, credentialID,
                       secretOptions, options, createdAt, updatedAt FROM endpoint ORDER BY name
                """)
            while let row = try cursor.next() {
                let store: String? = row[8]
                let credentialID: String? = row[9]
                rows.append(EndpointListingRow(
                    id: row[0], name: row[1], type: row[2], pluginName: row[3], connectionType: row[4], host: row[5],
                    port: row[6], user: row[7],
                    credential: store.flatMap { store in credentialID.map { CredentialReference(store: store, id: $0).description } },
                    secretOptionsJSON: row[10], optionsJSON: row[11], createdAt: row[12], updatedAt: row[13]))
            }
            return rows
        }
    }
}
