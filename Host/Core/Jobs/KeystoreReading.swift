import OGMaterial
import OGPlugins

/// The host side of read_keystore: parse a keystore a plugin read from its endpoint.
enum KeystoreReading {
    static func entries(format: KeystoreFormat, data: [UInt8], password: String, option: String) throws(ServiceFailure) -> [KeystoreEntrySummary] {
        throw ServiceFailure(.notSupported, "keystore reading is being wired to the material engine")
    }
}
