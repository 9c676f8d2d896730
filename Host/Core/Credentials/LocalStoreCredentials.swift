import OGCredentials
import OGInventory

/// `credstore credentials add|update|remove|list` on a local store: a username
/// with either a password or a private key path (and its passphrase).
public struct LocalStoreCredentials {
    public let gateway: Gateway
    public let storeName: String

    public init(gateway: Gateway, storeName: String) {
        self.gateway = gateway
        self.storeName = storeName
    }

    /// Options as typed; secret ones are read through `SecretInput`.
    public struct Options: Sendable {
        public var username: String?
        public var password: String?
        public var privateKeyPath: String?
        public var passphrase: String?

        public init(username: String? = nil, password: String? = nil, privateKeyPath: String? = nil, passphrase: String? = nil) {
            self.username = username
            self.password = password
            self.privateKeyPath = privateKeyPath
            self.passphrase = passphrase
        }
    }

    public func add(id: String, _ options: Options) throws {
        guard let username = options.username, !username.isEmpty else { throw GatewayError.option("username", "is required") }
        let credential = try build(username: username, options, previous: nil)
        try call { try store().add(credential, id: id) }
        gateway.audit(action: "credstore.credentials.add", subject: storeName, success: true, detail: "credential \(id)")
    }

    /// Changes what is given; the rest of the credential stays.
    public func update(id: String, _ options: Options) throws {
        let store = try store()
        let previous = try call { try store.credential(id: id) }
        if options.username == nil && options.password == nil && options.privateKeyPath == nil && options.passphrase == nil {
            throw GatewayError.option("username", "nothing to update: give field `username`, field `password`, field `privatekeypath` or field `passphrase`")
        }
        let credential = try build(username: options.username ?? previous.username, options, previous: previous)
        try call { try store.update(id: id, to: credential) }
        gateway.audit(action: "credstore.credentials.update", subject: storeName, success: true, detail: "credential \(id)")
    }

    public func remove(id: String) throws {
        try call { try store().remove(id: id) }
        gateway.audit(action: "credstore.credentials.remove", subject: storeName, success: true, detail: "credential \(id)")
    }

    public func list() throws -> [CredentialSummary] {
        try call { try store().list() }
    }

    private func build(username: String, _ options: Options, previous: Credential?) throws -> Credential {
        if options.password != nil && options.privateKeyPath != nil {
            throw GatewayError.option("password", "and field `privatekeypath` exclude each other; a credential has one or the other")
        }
        if let password = try CredentialStoreCatalog.secret("password", options.password) {
            if options.passphrase != nil { throw GatewayError.option("passphrase", "belongs with field `privatekeypath`, not field `password`") }
            return .password(username: username, password)
        }
        let passphrase = try CredentialStoreCatalog.secret("passphrase", options.passphrase)
        if let path = options.privateKeyPath {
            guard path.hasPrefix("/") else { throw GatewayError.option("privatekeypath", "\(path) is not absolute; give the full path") }
            var kept: Secret?
            if case .privateKey(_, let old)? = previous?.secret { kept = old }
            return .privateKey(username: username, path: path, passphrase: passphrase ?? kept)
        }
        switch previous?.secret {
        case .password(let password)?:
            if passphrase != nil { throw GatewayError.option("passphrase", "belongs with field `privatekeypath`; this credential holds a password") }
            return .password(username: username, password)
        case .privateKey(let path, let old)?:
            return .privateKey(username: username, path: path, passphrase: passphrase ?? old)
        case nil:
            throw GatewayError.option("password", "or field `privatekeypath` is required")
        }
    }

    private func store() throws -> LocalCredentialStore {
        _ = try CredentialStoreCatalog(gateway: gateway).existing(storeName, kind: .local)
        return try call { try LocalCredentialDirectory(path: gateway.dataDirectory.credentialsPath).store(named: storeName) }
    }

    private func call<Result>(_ body: () throws -> Result) throws -> Result {
        do { return try body() } catch let error as GatewayError { throw error } catch { throw GatewayError("\(error)") }
    }
}
