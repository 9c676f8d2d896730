import Foundation
import OGCredentials
import OGInventory

/// `og-host credstore add|update|list|remove`: the credential stores the
/// gateway knows. External stores are checked (and `--verify` fetched) before
/// anything is saved; their secrets go to the default local store.
public struct CredentialStoreCatalog {
    public let gateway: Gateway
    /// Where the Vault tokens of this process are kept.
    let cache: VaultTokenCache

    public init(gateway: Gateway) {
        self.gateway = gateway
        self.cache = .shared
    }

    // MARK: Adding and updating

    @discardableResult
    public func addLocal(name: String) throws -> CredentialStoreRecord {
        try requireFree(name)
        let record = try inventoryCall { try gateway.inventory().addCredentialStore(CredentialStoreRecord(name: name, kind: .local)) }
        gateway.audit(action: "credstore.add", subject: name, success: true, detail: "kind local")
        return record
    }

    @discardableResult
    public func addHashicorp(name: String, options: VaultStoreOptions) throws -> CredentialStoreRecord {
        try requireFree(name)
        return try saveVault(name: name, options: options, existing: nil)
    }

    @discardableResult
    public func updateHashicorp(name: String, options: VaultStoreOptions) throws -> CredentialStoreRecord {
        let record = try existing(name, kind: .hashicorp)
        return try saveVault(name: name, options: options, existing: try ExternalStoreReader.decode(VaultSettings.self, record))
    }

    @discardableResult
    public func addCyberArk(name: String, options: CyberArkStoreOptions) throws -> CredentialStoreRecord {
        try requireFree(name)
        return try saveCyberArk(name: name, options: options, existing: nil)
    }

    @discardableResult
    public func updateCyberArk(name: String, options: CyberArkStoreOptions) throws -> CredentialStoreRecord {
        let record = try existing(name, kind: .cyberark)
        return try saveCyberArk(name: name, options: options, existing: try ExternalStoreReader.decode(CyberArkSettings.self, record))
    }

    // MARK: Listing, removing, reading

    public func list() throws -> [CredentialStoreListing] {
        try inventoryCall { try gateway.inventory().credentialStores() }.map(CredentialStoreListing.init)
    }

    /// Refuses the default store and stores endpoints use; removes a local
    /// store's file and an external store's saved token, secret ID or password.
    public func remove(name: String) throws {
        let record = try existing(name, kind: nil)
        try inventoryCall { try gateway.inventory().removeCredentialStore(named: name) }
        if record.kind == .local {
            try local { try LocalCredentialDirectory(path: gateway.dataDirectory.credentialsPath).removeStore(named: name) }
        } else {
            try StoreSettingSecrets(gateway: gateway).removeAll(store: name)
        }
        gateway.audit(action: "credstore.remove", subject: name, success: true, detail: "kind \(record.kind.rawValue)")
    }

    /// The credential `id` of any store: a local ID, a Vault path under the
    /// root path, or a CyberArk `k=v;k=v` query.
    public func credential(store: String, id: String) throws -> Credential {
        try ExternalStoreReader(gateway: gateway, cache: cache).credential(store: try existing(store, kind: nil), id: id)
    }

    /// As `credential`, for showing its secret to the operator
    /// (`credentials get --show-secret`): every reveal, and every failed attempt, is audited.
    public func revealCredential(store: String, id: String) throws -> Credential {
        do {
            let credential = try credential(store: store, id: id)
            gateway.audit(action: "credentials.reveal", subject: "\(store)/\(id)", success: true, detail: "secret shown")
            return credential
        } catch {
            gateway.audit(action: "credentials.reveal", subject: "\(store)/\(id)", success: false, detail: "\(error)")
            throw error
        }
    }

    // MARK: HashiCorp Vault

    private func saveVault(name: String, options: VaultStoreOptions, existing: VaultSettings?) throws -> CredentialStoreRecord {
        guard let url = options.url ?? existing?.url else { throw GatewayError.option("vaulturl", "is required") }
        try Self.checkURL(url, option: "vaulturl")
        guard let authType = try options.authType.map(Self.authType) ?? existing?.authType else {
            throw GatewayError.option("authtype", "is required: one of \(Self.authTypeNames)")
        }
        let wrapped = try options.appWrapped.map { try Self.yesNo($0, option: "appwrapped") } ?? existing?.appWrapped ?? false
        var settings = VaultSettings(url: url, authType: authType, appWrapped: wrapped,
                                     rootPath: options.rootPath ?? existing?.rootPath ?? "",
                                     namespace: options.namespace.map { $0.isEmpty ? nil : $0 } ?? existing?.namespace)
        let secrets = StoreSettingSecrets(gateway: gateway)
        // What the type needs that the user did not give is kept from the previous settings of the same kind of login.
        var newSecret: (Secret, StoreSettingSecrets.Purpose)?
        var keptSecretID: String?
        switch authType {
        case .token:
            for (option, value) in [("roleid", options.roleID), ("secretid", options.secretID), ("secretfile", options.secretFile)] where value != nil {
                throw GatewayError.option(option, "does not apply to field `authtype` Token; leave it out")
            }
            if let token = try Self.secret("token", options.token) {
                newSecret = (token, .vaultToken)
            } else if existing?.authType == .token, let id = existing?.secretCredentialID {
                keptSecretID = id
            } else {
                throw GatewayError.option("token", "is required with field `authtype` Token (give - to read it from standard input)")
            }
        case .appRoleSecret, .appRoleFile:
            if options.token != nil { throw GatewayError.option("token", "applies to field `authtype` Token only; leave it out") }
            guard let roleID = options.roleID ?? existing?.roleID, !roleID.isEmpty else {
                throw GatewayError.option("roleid", "is required with field `authtype` \(authType.rawValue)")
            }
            settings.roleID = roleID
            if authType == .appRoleSecret {
                if options.secretFile != nil { throw GatewayError.option("secretfile", "applies to field `authtype` AppRoleFile; give field `secretid` instead") }
                if let secretID = try Self.secret("secretid", options.secretID) {
                    newSecret = (secretID, .vaultSecretID)
                } else if existing?.authType == .appRoleSecret, let id = existing?.secretCredentialID {
                    keptSecretID = id
                } else {
                    throw GatewayError.option("secretid", "is required with field `authtype` AppRoleSecret (give - to read it from standard input)")
                }
            } else {
                if options.secretID != nil { throw GatewayError.option("secretid", "applies to field `authtype` AppRoleSecret; give field `secretfile` instead") }
                guard let file = options.secretFile ?? existing?.secretFile else {
                    throw GatewayError.option("secretfile", "is required with field `authtype` AppRoleFile")
                }
                guard file.hasPrefix("/") else { throw GatewayError.option("secretfile", "\(file) is not absolute; give the full path") }
                guard FileManager.default.isReadableFile(atPath: file) else {
                    throw GatewayError.option("secretfile", "\(file) cannot be read; create it or let og-host's user read it")
                }
                settings.secretFile = file
            }
        }

        let reader = ExternalStoreReader(gateway: gateway, cache: VaultTokenCache())
        var storedSecret = try newSecret.map(\.0) ?? secrets.read(keptSecretID)
        if authType == .appRoleSecret && wrapped, let given = newSecret?.0 {
            // A wrapping token opens once, so the secret ID it wraps is what og-host keeps.
            let unwrapped = try vaultCall { try reader.vaultClient(name, settings: settings, storedSecret: given).unwrapSecretID(given) }
            newSecret = (unwrapped, .vaultSecretID)
            storedSecret = unwrapped
        }
        if let path = options.verify {
            _ = try vaultCall { try reader.vaultClient(name, settings: settings, storedSecret: storedSecret).credential(id: path) }
        }
        if let (secret, purpose) = newSecret {
            settings.secretCredentialID = try secrets.save(secret, store: name, purpose)
        } else {
            settings.secretCredentialID = keptSecretID
        }
        if authType == .appRoleFile || (existing?.authType != nil && existing?.authType != authType) {
            try dropUnusedSecrets(name: name, keeping: settings.secretCredentialID)
        }
        let record = try save(CredentialStoreRecord(name: name, kind: .hashicorp, settings: try Self.json(settings)), isNew: existing == nil)
        gateway.audit(action: existing == nil ? "credstore.add" : "credstore.update", subject: name, success: true,
                      detail: "kind hashicorp, url \(url), authtype \(authType.rawValue)" + (options.verify.map { ", verified \($0)" } ?? ""))
        return record
    }

    private func vaultCall<Result>(_ body: () throws -> Result) throws -> Result {
        do { return try body() } catch let error as GatewayError { throw error } catch { throw GatewayError("\(error)") }
    }

    // MARK: CyberArk

    private func saveCyberArk(name: String, options: CyberArkStoreOptions, existing: CyberArkSettings?) throws -> CredentialStoreRecord {
        guard let appID = options.appID ?? existing?.appID, !appID.isEmpty else { throw GatewayError.option("appid", "is required") }
        guard let url = options.ccpURL ?? existing?.ccpURL else { throw GatewayError.option("ccpurl", "is required") }
        try Self.checkURL(url, option: "ccpurl")
        var settings = CyberArkSettings(ccpURL: url, appID: appID, authCertPath: existing?.authCertPath,
                                        certPassCredentialID: existing?.certPassCredentialID)
        let secrets = StoreSettingSecrets(gateway: gateway)
        var password: Secret?
        if let authCert = options.authCert {
            if authCert.isEmpty {
                // `--authcert ''` returns to machine-address authentication.
                settings.authCertPath = nil
                settings.certPassCredentialID = nil
            } else {
                guard authCert.hasPrefix("/") else { throw GatewayError.option("authcert", "\(authCert) is not absolute; give the full path") }
                settings.authCertPath = authCert
            }
        }
        if let given = try Self.secret("certpass", options.certPass) {
            guard settings.authCertPath != nil else { throw GatewayError.option("certpass", "needs field `authcert`") }
            password = given
        } else if options.authCert?.isEmpty == false, existing?.authCertPath == nil {
            throw GatewayError.option("certpass", "is required with field `authcert` (give - to read it from standard input)")
        }
        if let path = settings.authCertPath {
            let passwordToUse = try password ?? secrets.read(settings.certPassCredentialID) ?? Secret("")
            // Opening the .p12 now turns a wrong password into an error at add time rather than at the first job.
            _ = try ExternalStoreReader.clientIdentity(store: name, p12Path: path, password: passwordToUse)
        }
        if let query = options.verify {
            let reader = ExternalStoreReader(gateway: gateway)
            _ = try vaultCall { try reader.cyberArkClient(name, settings: settings, certificatePassword: password).credential(id: query) }
        }
        if let password {
            settings.certPassCredentialID = try secrets.save(password, store: name, .cyberArkCertificatePassword)
        }
        if settings.authCertPath == nil { try secrets.removeAll(store: name) }
        let record = try save(CredentialStoreRecord(name: name, kind: .cyberark, settings: try Self.json(settings)), isNew: existing == nil)
        gateway.audit(action: existing == nil ? "credstore.add" : "credstore.update", subject: name, success: true,
                      detail: "kind cyberark, ccp \(url), appid \(appID), "
                          + (settings.authCertPath.map { "client certificate \($0)" } ?? "machine address authentication")
                          + (options.verify.map { ", verified \($0)" } ?? ""))
        return record
    }

    // MARK: Helpers

    private func dropUnusedSecrets(name: String, keeping id: String?) throws {
        for purpose in [StoreSettingSecrets.Purpose.vaultToken, .vaultSecretID] where StoreSettingSecrets.id(store: name, purpose) != id {
            let directory = LocalCredentialDirectory(path: gateway.dataDirectory.credentialsPath)
            try local {
                do {
                    try directory.store(named: LocalCredentialStore.defaultName).remove(id: StoreSettingSecrets.id(store: name, purpose))
                } catch CredentialsError.notFound {}
            }
        }
    }

    private func save(_ record: CredentialStoreRecord, isNew: Bool) throws -> CredentialStoreRecord {
        try inventoryCall {
            isNew ? try gateway.inventory().addCredentialStore(record) : try gateway.inventory().updateCredentialStore(record)
        }
    }

    private func requireFree(_ name: String) throws {
        do { _ = try LocalCredentialDirectory(path: gateway.dataDirectory.credentialsPath).store(named: name) } catch { throw GatewayError.option("storename", "\(error)") }
        if try inventoryCall({ try gateway.inventory().credentialStore(named: name) }) != nil {
            throw GatewayError.option("storename", "credential store '\(name)' already exists; update it or choose another name")
        }
    }

    /// The store named `name`, which must be of `kind` when one is given.
    func existing(_ name: String, kind: CredentialStoreRecord.Kind?) throws -> CredentialStoreRecord {
        guard let record = try inventoryCall({ try gateway.inventory().credentialStore(named: name) }) else {
            throw GatewayError.option("storename", "credential store '\(name)' does not exist; see `og-host credstore list`")
        }
        if let kind, record.kind != kind {
            throw GatewayError.option("storename", "credential store '\(name)' is a \(record.kind.rawValue) store, not \(kind.rawValue)")
        }
        return record
    }

    func inventoryCall<Result>(_ body: () throws -> Result) throws -> Result {
        do { return try body() } catch let error as GatewayError { throw error } catch { throw GatewayError("\(error)") }
    }

    private func local<Result>(_ body: () throws -> Result) throws -> Result {
        do { return try body() } catch let error as GatewayError { throw error } catch { throw GatewayError("\(error)") }
    }

    static let authTypeNames = VaultSettings.AuthType.allCases.map(\.rawValue).joined(separator: ", ")

    static func authType(_ text: String) throws -> VaultSettings.AuthType {
        guard let type = VaultSettings.AuthType.allCases.first(where: { $0.rawValue.caseInsensitiveCompare(text) == .orderedSame }) else {
            throw GatewayError.option("authtype", "'\(text)' is not one of \(authTypeNames)")
        }
        return type
    }

    static func yesNo(_ text: String, option: String) throws -> Bool {
        switch text.lowercased() {
        case "yes", "true": return true
        case "no", "false": return false
        default: throw GatewayError.option(option, "'\(text)' is neither Yes nor No")
        }
    }

    static func checkURL(_ url: String, option: String) throws {
        let lower = url.lowercased()
        guard (lower.hasPrefix("https://") || lower.hasPrefix("http://")), URL(string: url)?.host?.isEmpty == false,
              !url.contains("@") else {
            throw GatewayError.option(option, "'\(url)' is not an http:// or https:// URL with a host (and no user or password in it)")
        }
    }

    static func secret(_ option: String, _ value: String?) throws -> Secret? {
        do {
            return try SecretInput.read(option: "field `\(option)`", value: value)
        } catch {
            throw GatewayError("\(error)", category: .badInput)
        }
    }

    static func json<Settings: Encodable>(_ settings: Settings) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(settings), as: UTF8.self)
    }
}

extension CredentialStoreCatalog {
    /// Re-seals every local store (and so the certificate key vault) under a
    /// new master key; returns the stores re-sealed. Audited either way.
    @discardableResult
    public func rotateMasterKey() throws -> [String] {
        let directory = LocalCredentialDirectory(path: gateway.dataDirectory.credentialsPath)
        let stores = try directory.storeNames()
        do {
            try directory.rotateMasterKey()
        } catch {
            gateway.audit(action: "credstore.rotate-master-key", subject: "master key", success: false, detail: "\(error)")
            throw GatewayError("master key rotation failed, the old key still opens every store: \(error)")
        }
        gateway.audit(action: "credstore.rotate-master-key", subject: "master key", success: true,
                      detail: "\(stores.count) local store(s) re-sealed")
        return stores
    }
}
