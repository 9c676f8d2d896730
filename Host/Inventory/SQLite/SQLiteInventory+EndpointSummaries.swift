import Foundation
import GRDB

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
