import OGMaterial
import OGPlugins
import OGBasics

/// The keystores one endpoint session has decoded or encoded, by content.
///
/// A keystore install used to decode the same store four times (the plugin's
/// plan lists its aliases, the host merges into it, the plugin lists it again
/// while config-testing what was written), each decode running PBKDF2 at the
/// store's iteration count. Keyed by the SHA-256 of format, password and bytes,
/// an install now decodes the endpoint's store once and encodes it once: the
/// bytes it wrote are remembered with the store they encode, so reading them
/// back (the byte comparison still happens on the endpoint's copy) and the
/// plugin's listing of them cost no key derivation. Different bytes, or
/// another password, decode as before.
final class KeystoreDecodeCache: Sendable {
    enum Store: Sendable {
        case pkcs12(PKCS12Store)
        case jks(JKSStore)

        var entries: [KeystoreEntry] {
            switch self {
            case .pkcs12(let store): return store.entries
            case .jks(let store): return store.entries
            }
        }
    }

    private let stores = Locked<[[UInt8]: Store]>([:])

    /// The store `data` holds, decoded at most once per session.
    func decode(_ format: KeystoreFormat, _ data: [UInt8], password: [UInt8]) throws -> Store {
        let key = Self.key(format, data, password: password)
        if let known = stores.withLock({ $0[key] }) { return known }
        let store: Store
        switch format {
        // Listing and merging need no private key: PKCS#12 keys stay sealed (no PBKDF2 run each), JKS
        // keys are opened but not parsed, and an unchanged one is written again as read.
        case .pkcs12: store = .pkcs12(try PKCS12Store.decode(data, password: password, keys: .sealedWherePaired))
        case .jks: store = .jks(try JKSStore.decode(data, password: password, keys: .openedUnparsed))
        }
        stores.withLock { $0[key] = store }
        return store
    }

    /// Records that `encoded` holds `store` under `password` (what the host just wrote).
    func remember(_ store: Store, encoded: [UInt8], format: KeystoreFormat, password: [UInt8]) {
        let key = Self.key(format, encoded, password: password)
        stores.withLock { $0[key] = store }
    }

    private static func key(_ format: KeystoreFormat, _ data: [UInt8], password: [UInt8]) -> [UInt8] {
        // The password enters only through its own digest, so the key never holds it.
        Digest.sha256([format == .pkcs12 ? 1 : 2], Digest.sha256(password), data)
    }
}
