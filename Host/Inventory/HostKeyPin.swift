import Foundation
import GRDB

/// The SSH host key fingerprint trusted for a host and port on first use.
/// A later connection that presents a different key is refused.
public struct HostKeyPin: Codable, Equatable, Sendable {
    public var host: String
    public var port: Int
    /// As OpenSSH prints it, e.g. `SHA256:...`.
    public var fingerprint: String
    /// Set by the inventory when the pin is stored.
    public internal(set) var pinnedAt: Date

    public init(host: String, port: Int, fingerprint: String) {
        self.host = host
        self.port = port
        self.fingerprint = fingerprint
        self.pinnedAt = Date()
    }
}

extension HostKeyPin: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "hostKeyPin"
}

extension HostKeyPin {
    func validate() throws {
        try RecordValidation.nonEmpty(host, field: "host")
        try RecordValidation.nonEmpty(fingerprint, field: "fingerprint")
        guard (1...65535).contains(port) else {
            throw InventoryError.invalidValue(field: "port", value: String(port), problem: "is not between 1 and 65535")
        }
    }
}

extension SQLiteInventory {
    /// The pinned fingerprint of `host`:`port`, or nil when none is pinned yet.
    public func hostKeyPin(host: String, port: Int) throws -> HostKeyPin? {
        try read { try HostKeyPin.fetchOne($0, key: ["host": host, "port": port]) }
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
