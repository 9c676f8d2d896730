/// The container formats the host reads and writes; raw values are `OG_KEYSTORE_*`.
public enum KeystoreFormat: UInt32, Sendable, Hashable {
    case pkcs12 = 0
    case jks = 1
}
