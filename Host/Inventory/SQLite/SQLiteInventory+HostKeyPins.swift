import Foundation
import GRDB

extension HostKeyPin: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "hostKeyPin"
}

extension SQLiteInventory {
    /// The pinned fingerprint of `host`:`port`, or nil when none is pinned yet.
    public func hostKeyPin(host: String, port: Int) throws -> HostKeyPin? {
        try read { try HostKeyPin.fetchOne($0, whereColumns: ["host", "port"], equal: [host, port]) }
    }

    /// Forgets the pin of `host`:`port`; true when there was one.
    @discardableResult
    public func removeHostKeyPin(host: String, port: Int) throws -> Bool {
        try write { db in try HostKeyPin.deleteOne(db, key: ["host": host, "port": port]) }
    }

    /// Pins `pin.fingerprint` for its host and port, replacing an earlier pin
    /// (after an operator has confirmed a host key change), and returns it as stored.
    @discardableResult
    public func setHostKeyPin(_ pin: HostKeyPin) throws -> HostKeyPin {
        try pin.validate()
        return try write { db in
            var stored = pin
            stored.pinnedAt = Date()
            try stored.upsert(db)
            return try HostKeyPin.fetchOne(db, key: ["host": pin.host, "port": pin.port])!
        }
    }
}
