import OGCredentials

/// The secrets an external store's settings need (a Vault token or AppRole
/// secret ID, a CyberArk certificate password), kept in the default local
/// store so the settings JSON in the inventory never holds one.
struct StoreSettingSecrets {
    enum Purpose: String {
        case vaultToken = "token"
        case vaultSecretID = "secretid"
        case cyberArkCertificatePassword = "certpass"
    }

    let gateway: Gateway

    /// The ID it is kept under in the default store.
    static func id(store: String, _ purpose: Purpose) -> String { "credstore.\(store).\(purpose.rawValue)" }

    private func defaultStore() throws -> LocalCredentialStore {
        try LocalCredentialDirectory(path: gateway.dataDirectory.credentialsPath).store(named: LocalCredentialStore.defaultName)
    }

    /// Stores (or replaces) `secret` and returns its ID.
    func save(_ secret: Secret, store: String, _ purpose: Purpose) throws -> String {
        let id = Self.id(store: store, purpose)
        let credential = Credential.password(username: "credstore \(store) \(purpose.rawValue)", secret)
        try local {
            let defaultStore = try defaultStore()
            do {
                try defaultStore.update(id: id, to: credential)
            } catch CredentialsError.notFound {
                try defaultStore.add(credential, id: id)
            }
        }
        return id
    }

    func read(_ id: String?) throws -> Secret? {
        guard let id else { return nil }
        return try local {
            do {
                guard case .password(let secret) = try defaultStore().credential(id: id).secret else { return nil }
                return secret
            } catch CredentialsError.notFound {
                return nil
            }
        }
    }

    /// Removes every setting secret of `store`; absent ones are fine.
    func removeAll(store: String) throws {
        for purpose in [Purpose.vaultToken, .vaultSecretID, .cyberArkCertificatePassword] {
            try local {
                do { try defaultStore().remove(id: Self.id(store: store, purpose)) } catch CredentialsError.notFound {}
            }
        }
    }

    private func local<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as GatewayError {
            throw error
        } catch {
            throw GatewayError("credential store 'default': \(error)")
        }
    }
}
