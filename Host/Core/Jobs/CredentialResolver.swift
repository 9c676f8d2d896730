import OGConnections
import OGCredentials
import OGInventory

/// Finds a credential by store and ID at connection time. Credentials are
/// never copied into the inventory; they are read when a job needs them.
struct CredentialResolver {
    let gateway: Gateway

    func credential(store: String, id: String, field: String) throws -> Credential {
        guard let record = try gateway.inventory().credentialStore(named: store) else {
            throw GatewayError.option(field, "credential store '\(store)' does not exist; see `og-host credstore list`")
        }
        switch record.kind {
        case .local:
            do {
                return try LocalCredentialStore(name: store, directory: gateway.credentialDirectory).credential(id: id)
            } catch {
                throw GatewayError("credential store '\(store)', credential '\(id)': \(error)")
            }
        case .hashicorp, .cyberark:
            return try ExternalStoreReader(gateway: gateway).credential(store: record, id: id)
        }
    }
}

extension Credential {
    /// How a connection logs in with this credential.
    var authentication: ConnectionAuthentication {
        switch secret {
        case .password(let password): return .password(password.exposedString())
        case .privateKey(let path, let passphrase): return .privateKey(path: path, passphrase: passphrase?.exposedString())
        }
    }

    /// The password of a password credential (used for secret options such as store passwords).
    var secretText: String {
        switch secret {
        case .password(let password): return password.exposedString()
        case .privateKey(_, let passphrase): return passphrase?.exposedString() ?? ""
        }
    }
}
