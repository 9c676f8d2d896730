import Foundation
import GRDB

/// One endpoint as `tls list --output json` prints it, read column by column:
/// decoding `EndpointRecord` through Codable ran a JSONDecoder per row for its
/// secret references, most of a 10,000-endpoint listing's time. The options
/// and secret references stay JSON text here; the printer reads what it needs.
public struct EndpointListingRow: Sendable {
    public var id: String
    public var name: String
    public var type: String
    public var pluginName: String
    public var connectionType: String
    public var host: String
    public var port: Int?
    public var user: String?
    /// `store:id` of the connection's credential.
    public var credential: String?
    /// The secret references as stored (a JSON object keyed by option name).
    public var secretOptionsJSON: String
    /// The non-secret options as stored (a JSON object).
    public var optionsJSON: String
    public var createdAt: Date
    public var updatedAt: Date
}

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
