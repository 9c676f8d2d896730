import Foundation
import GRDB

extension SQLiteInventory {
    /// Lineages whose last renewal attempts failed, most failures first, at most `limit`
    /// (for `og-host status`: failures and the backoffs they wait out).
    public func failingRenewals(limit: Int) throws -> [RenewalScheduleRecord] {
        try read { db in
            try RenewalScheduleRecord.fetchAll(db, sql: """
                SELECT * FROM renewalSchedule WHERE failures > 0 ORDER BY failures DESC, lineage LIMIT ?
                """, arguments: [max(limit, 0)])
        }
    }
}
