import Foundation
import OGBasics

/// Reads credentials from a HashiCorp Vault KV engine (version 1 or 2,
/// detected from the mount) after logging in with a token or an AppRole.
///
/// The client token is kept in a `VaultTokenCache`: renewed with
/// `auth/token/renew-self` once two thirds of its lifetime have passed (when
/// renewable), and obtained again by AppRole login when it expired or Vault
/// stops accepting it.
public struct VaultClient: Sendable {
    public let storeName: String
    public let settings: VaultSettings
    /// The token (Token) or the secret ID (AppRoleSecret); nil for AppRoleFile.
    public let storedSecret: Secret?
    public let send: StoreHTTP.Send
    public let cache: VaultTokenCache

    public init(storeName: String, settings: VaultSettings, storedSecret: Secret?, send: @escaping StoreHTTP.Send,
                cache: VaultTokenCache = .shared) {
        self.storeName = storeName
        self.settings = settings
        self.storedSecret = storedSecret
        self.send = send
        self.cache = cache
    }

    /// The credential at `id`, a path under the root path.
    public func credential(id: String) throws -> Credential {
        let fields = try secretFields(id: id)
        func text(_ name: String) throws -> String? {
            guard let value = fields[name], !(value is NSNull) else { return nil }
            guard let string = value as? String else {
                throw ExternalStoreError(store: storeName, id: id, .wrongShape("'\(name)' is not a string"))
            }
            return string
        }
        do {
            return try SecretShape.credential(
                username: try text(SecretShape.usernameField), password: try text(SecretShape.passwordField),
                privateKeyPath: try text(SecretShape.privateKeyPathField), passphrase: try text(SecretShape.passphraseField))
        } catch let failure as ExternalStoreError.Failure {
            throw ExternalStoreError(store: storeName, id: id, failure)
        }
    }

    /// Exchanges a response-wrapping token for the secret ID it wraps. A
    /// wrapping token works once: keep what this returns, not the token.
    public func unwrapSecretID(_ wrappingToken: Secret) throws -> Secret {
        let response = try call("POST", "sys/wrapping/unwrap", token: wrappingToken, body: nil, id: nil)
        guard response.status == 200 else {
            throw ExternalStoreError(store: storeName, id: nil, .authenticationRefused(
                "Vault refused to unwrap the wrapped secret ID (HTTP \(response.status)\(Self.errors(response))); "
                + "a wrapping token can be unwrapped only once and expires: issue a fresh one"))
        }
        guard let data = Self.object(response)?["data"] as? [String: Any], let secretID = data["secret_id"] as? String else {
            throw ExternalStoreError(store: storeName, id: nil, .unexpectedAnswer(
                "the unwrapped response has no data.secret_id; was a secret ID wrapped (vault write -wrap-ttl=… auth/approle/role/…/secret-id)?"))
        }
        return Secret(secretID)
    }

    // MARK: Reading

    private func secretFields(id: String) throws -> [String: Any] {
        let trimmedID = id.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard !trimmedID.isEmpty, !trimmedID.split(separator: "/").contains("..") else {
            throw ExternalStoreError(store: storeName, id: id, .configuration("the ID must be a path under the root path, without '..'"))
        }
        var (response, path, version) = try read(trimmedID, id: id, token: try clientToken())
        if response.status == 403 && settings.authType != .token {
            // Vault revoked or expired the cached token early: log in again, once.
            cache.forget(cacheKey)
            (response, path, version) = try read(trimmedID, id: id, token: try clientToken())
        }
        switch response.status {
        case 200: break
        case 404:
            throw ExternalStoreError(store: storeName, id: id, .secretMissing(
                "Vault has no secret at \(path); check the ID and the root path '\(settings.rootPath)'"))
        case 401, 403:
            throw ExternalStoreError(store: storeName, id: id, .authenticationRefused(
                "Vault denied reading \(path) (HTTP \(response.status)\(Self.errors(response))); "
                + "grant the token's policy read on it, or renew or replace the token"))
        default:
            throw ExternalStoreError(store: storeName, id: id, .unexpectedAnswer("HTTP \(response.status) reading \(path)\(Self.errors(response))"))
        }
        guard let data = Self.object(response)?["data"] as? [String: Any] else {
            throw ExternalStoreError(store: storeName, id: id, .unexpectedAnswer("the answer for \(path) has no data object"))
        }
        if version == 2 {
            guard let inner = data["data"] as? [String: Any] else {
                throw ExternalStoreError(store: storeName, id: id, .secretMissing(
                    "the latest version of \(path) is deleted or destroyed; restore it in Vault"))
            }
            return inner
        }
        return data
    }

    /// Reads the secret `trimmedID`, finding its engine again each time so a
    /// retry with a new token does not reuse a guess made while refused.
    private func read(_ trimmedID: String, id: String, token: Secret) throws -> (StoreHTTP.Response, String, Int) {
        let (path, version) = try secretPath(trimmedID, id: id, token: token)
        return (try call("GET", path, token: token, body: nil, id: id), path, version)
    }

    /// The API path of `id` and the engine's KV version, asking Vault which
    /// mount holds the root path the way the Vault CLI does.
    private func secretPath(_ id: String, id original: String, token: Secret) throws -> (String, Int) {
        let root = settings.rootPath.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let full = root.isEmpty ? id : "\(root)/\(id)"
        let response = try call("GET", "sys/internal/ui/mounts/\(full)", token: token, body: nil, id: original)
        guard response.status == 200, let data = Self.object(response)?["data"] as? [String: Any],
              let mount = data["path"] as? String, !mount.isEmpty, full.hasPrefix(mount) else {
            // Without that permission the Vault CLI, too, assumes a version 1 engine.
            return (full, 1)
        }
        let options = data["options"] as? [String: Any]
        let version = (options?["version"] as? String).flatMap(Int.init) ?? 1
        guard version == 2 else { return (full, 1) }
        return (mount + "data/" + full.dropFirst(mount.count), 2)
    }

    // MARK: Logging in

    private var cacheKey: String { "\(storeName)|\(settings.url)|\(settings.namespace ?? "")" }

    private func clientToken() throws -> Secret {
        let now = cache.now()
        if var entry = cache.entry(for: cacheKey) {
            if let expiresAt = entry.expiresAt {
                if expiresAt <= now {
                    cache.forget(cacheKey)
                    return try freshToken()
                }
                if entry.renewable && expiresAt.timeIntervalSince(now) < entry.lifetime / 3,
                   let renewed = try? renew(entry.token) {
                    entry = renewed
                    cache.store(entry, for: cacheKey)
                }
            }
            return entry.token
        }
        return try freshToken()
    }

    private func freshToken() throws -> Secret {
        let entry: VaultTokenCache.Entry
        switch settings.authType {
        case .token:
            guard let token = storedSecret else {
                throw ExternalStoreError(store: storeName, id: nil, .configuration(
                    "no token is stored for it; run `og-host credstore update hashicorp field `storename` \(storeName) field `authtype` Token field `token` -`"))
            }
            entry = try lookUp(token)
        case .appRoleSecret, .appRoleFile:
            entry = try appRoleLogin()
        }
        cache.store(entry, for: cacheKey)
        return entry.token
    }

    private func lookUp(_ token: Secret) throws -> VaultTokenCache.Entry {
        let response = try call("GET", "auth/token/lookup-self", token: token, body: nil, id: nil)
        guard response.status == 200, let data = Self.object(response)?["data"] as? [String: Any] else {
            throw ExternalStoreError(store: storeName, id: nil, .authenticationRefused(
                "Vault does not accept the stored token (HTTP \(response.status)\(Self.errors(response))); it expired or was revoked: "
                + "update the store with a valid one (`og-host credstore update hashicorp field `storename` \(storeName) field `token` -`)"))
        }
        let ttl = Self.number(data["ttl"]) ?? 0
        let renewable = data["renewable"] as? Bool ?? false
        let entry = VaultTokenCache.Entry(token: token, expiresAt: ttl > 0 ? cache.now().addingTimeInterval(ttl) : nil,
                                          lifetime: Self.number(data["creation_ttl"]) ?? ttl, renewable: renewable)
        guard let expiresAt = entry.expiresAt, renewable, expiresAt.timeIntervalSince(cache.now()) < entry.lifetime / 3 else {
            return entry
        }
        return (try? renew(token)) ?? entry
    }

    private func renew(_ token: Secret) throws -> VaultTokenCache.Entry {
        let response = try call("POST", "auth/token/renew-self", token: token, body: Secret("{}"), id: nil)
        guard response.status == 200, let auth = Self.object(response)?["auth"] as? [String: Any] else {
            throw ExternalStoreError(store: storeName, id: nil, .authenticationRefused("Vault refused to renew the token (HTTP \(response.status))"))
        }
        return entry(fromAuth: auth, fallbackToken: token)
    }

    private func appRoleLogin() throws -> VaultTokenCache.Entry {
        guard let roleID = settings.roleID, !roleID.isEmpty else {
            throw ExternalStoreError(store: storeName, id: nil, .configuration("AppRole login needs a role ID; set field `roleid`"))
        }
        var secretID = try appRoleSecretID()
        if settings.appWrapped && settings.authType == .appRoleFile {
            secretID = try unwrapSecretID(secretID)
        }
        let body = try JSONSerialization.data(withJSONObject: ["role_id": roleID, "secret_id": secretID.exposedString()])
        let response = try call("POST", "auth/approle/login", token: nil, body: Secret(bytes: body), id: nil)
        guard response.status == 200, let auth = Self.object(response)?["auth"] as? [String: Any] else {
            throw ExternalStoreError(store: storeName, id: nil, .authenticationRefused(
                "AppRole login with role ID '\(roleID)' failed (HTTP \(response.status)\(Self.errors(response))); "
                + "check the role ID and the secret ID (expired, used up, or wrapped when field `appwrapped` says No)"))
        }
        let entry = entry(fromAuth: auth, fallbackToken: nil)
        guard !entry.token.isEmpty else {
            throw ExternalStoreError(store: storeName, id: nil, .unexpectedAnswer("the AppRole login answer has no auth.client_token"))
        }
        return entry
    }

    private func appRoleSecretID() throws -> Secret {
        if settings.authType == .appRoleSecret {
            guard let storedSecret else {
                throw ExternalStoreError(store: storeName, id: nil, .configuration(
                    "no secret ID is stored for it; run `og-host credstore update hashicorp field `storename` \(storeName) field `secretid` -`"))
            }
            return storedSecret
        }
        guard let file = settings.secretFile else {
            throw ExternalStoreError(store: storeName, id: nil, .configuration("AppRoleFile needs field `secretfile`"))
        }
        var bytes: [UInt8]
        do {
            bytes = try LocalFiles.read(file, limit: .material)
        } catch {
            throw ExternalStoreError(store: storeName, id: nil, .configuration(
                "secret file \(error); check that it exists and og-host's user may read it"))
        }
        defer { AESGCM.wipe(&bytes) }
        while let last = bytes.last, last == 10 || last == 13 || last == 32 { bytes.removeLast() }
        guard !bytes.isEmpty else {
            throw ExternalStoreError(store: storeName, id: nil, .configuration("secret file \(file) is empty; write the secret ID into it"))
        }
        return Secret(bytes: bytes)
    }

    private func entry(fromAuth auth: [String: Any], fallbackToken: Secret?) -> VaultTokenCache.Entry {
        let token = (auth["client_token"] as? String).map { Secret($0) } ?? fallbackToken ?? Secret("")
        let ttl = Self.number(auth["lease_duration"]) ?? 0
        return VaultTokenCache.Entry(token: token, expiresAt: ttl > 0 ? cache.now().addingTimeInterval(ttl) : nil,
                                     lifetime: ttl, renewable: auth["renewable"] as? Bool ?? false)
    }

    // MARK: HTTP

    private func call(_ method: String, _ path: String, token: Secret?, body: Secret?, id: String?) throws -> StoreHTTP.Response {
        let base = settings.url.hasSuffix("/") ? String(settings.url.dropLast()) : settings.url
        var headers: [(name: String, value: Secret)] = []
        if let token { headers.append(("X-Vault-Token", token)) }
        if let namespace = settings.namespace, !namespace.isEmpty { headers.append(("X-Vault-Namespace", Secret(namespace))) }
        if body != nil { headers.append(("Content-Type", Secret("application/json"))) }
        let encodedPath = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
        do {
            return try send(StoreHTTP.Request(method: method, url: "\(base)/v1/\(encodedPath)", headers: headers, body: body))
        } catch let error as ExternalStoreError {
            throw error
        } catch {
            throw ExternalStoreError(store: storeName, id: id, .unreachable("\(error)"))
        }
    }

    private static func object(_ response: StoreHTTP.Response) -> [String: Any]? {
        response.body.withUnsafeBytes { bytes in
            (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
        }
    }

    /// Vault's `errors` list; it describes the refusal and never echoes a secret.
    private static func errors(_ response: StoreHTTP.Response) -> String {
        guard let errors = object(response)?["errors"] as? [String], !errors.isEmpty else { return "" }
        return ": " + errors.joined(separator: "; ")
    }

    private static func number(_ value: Any?) -> TimeInterval? {
        if let value = value as? NSNumber { return value.doubleValue }
        if let value = value as? String { return TimeInterval(value) }
        return nil
    }
}
