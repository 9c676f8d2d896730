import Foundation
import OGBasics

/// Client tokens og-host obtained from Vaults, kept in memory for the life of
/// the process so a job touching many endpoints logs in once per store.
public final class VaultTokenCache: @unchecked Sendable {
    // @unchecked Sendable: `entries` is only touched while `lock` is held.
    public struct Entry: Sendable {
        public var token: Secret
        /// nil: the token does not expire (ttl 0).
        public var expiresAt: Date?
        public var lifetime: TimeInterval
        public var renewable: Bool
    }

    /// The process's cache.
    public static let shared = VaultTokenCache()

    private let lock = Locked()
    private var entries: [String: Entry] = [:]
    /// The clock; tests move it forward instead of sleeping.
    public let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    public func entry(for key: String) -> Entry? {
        lock.withLock { entries[key] }
    }

    public func store(_ entry: Entry, for key: String) {
        lock.withLock { entries[key] = entry }
    }

    public func forget(_ key: String) {
        lock.withLock { _ = entries.removeValue(forKey: key) }
    }
}
