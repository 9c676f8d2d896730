/// Where a secret lives: a credential in a named credential store. The
/// inventory keeps only these references, never the secrets themselves.
public struct CredentialReference: Codable, Hashable, Sendable, CustomStringConvertible {
    /// Name of a `CredentialStoreRecord`.
    public var store: String
    /// The credential's ID inside that store.
    public var id: String

    public init(store: String, id: String) {
        self.store = store
        self.id = id
    }

    public var description: String { "\(store):\(id)" }
}
