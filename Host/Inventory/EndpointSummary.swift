import GRDB

/// The columns of an endpoint that a listing table shows, read without
/// decoding the options and secret references the table never prints:
/// `tls list` over 10,000 endpoints spent most of its time decoding those.
public struct EndpointSummary: Sendable, Equatable {
    public var id: String
    public var name: String
    public var type: String
    public var connectionType: String
    public var host: String
    public var port: Int?
}

extension SQLiteInventory {
    /// Every endpoint's summary, ordered by name (byte order, like `endpoints()`).
    public func endpointSummaries() throws -> [EndpointSummary] {
        try read { db in
            var summaries: [EndpointSummary] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT id, name, type, connectionType, host, port FROM endpoint ORDER BY name")
            while let row = try rows.next() {
                summaries.append(EndpointSummary(id: row[0], name: row[1], type: row[2], connectionType: row[3],
                                                 host: row[4], port: row[5]))
            }
            return summaries
        }
    }
}
