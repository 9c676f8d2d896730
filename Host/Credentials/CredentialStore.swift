/// A place credentials are fetched from by ID: the local encrypted store, or
/// an external vault.
public protocol CredentialStore: Sendable {
    /// The store's name, as configured in the inventory.
    var name: String { get }

    /// The credential stored under `id`; throws `CredentialsError.notFound`
    /// when there is none.
    func credential(id: String) throws -> Credential
}
