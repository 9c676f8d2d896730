import Foundation
import OGBasics

/// A `HostKeyStore` that forgets everything when released; for tests and
/// one-off runs.
public final class InMemoryHostKeyStore: HostKeyStore, @unchecked Sendable {
    // All access to `fingerprints` goes through `lock`.
    private var fingerprints: [String: String]
    private let lock = Locked()

    public init(_ fingerprints: [String: String] = [:]) {
        self.fingerprints = fingerprints
    }

    public func pinnedFingerprint(host: String, port: Int) -> String? {
        lock.withLock { fingerprints[Self.key(host, port)] }
    }

    public func pin(host: String, port: Int, fingerprint: String) {
        lock.withLock { fingerprints[Self.key(host, port)] = fingerprint }
    }

    private static func key(_ host: String, _ port: Int) -> String { "\(host.lowercased()):\(port)" }
}
