/// How og-host reaches one HashiCorp Vault: kept as the credential store's
/// settings JSON. The token or AppRole secret ID is not here; it lives in the
/// default local store under `secretCredentialID`.
public struct VaultSettings: Codable, Equatable, Sendable {
    public enum AuthType: String, Codable, Sendable, CaseIterable {
        case token = "Token"
        /// AppRole with the secret ID held by og-host.
        case appRoleSecret = "AppRoleSecret"
        /// AppRole with the secret ID read from a file at each login.
        case appRoleFile = "AppRoleFile"
    }

    /// Base address, e.g. `https://vault.example:8200`.
    public var url: String
    public var authType: AuthType
    public var roleID: String?
    /// Path of the file holding the secret ID (AppRoleFile).
    public var secretFile: String?
    /// The secret ID (given or in the file) is a response-wrapping token. A
    /// wrapping token opens once: with AppRoleSecret og-host unwraps it when the
    /// store is added or updated and keeps the secret ID; with AppRoleFile every
    /// og-host process that logs in unwraps what the file holds then, so whoever
    /// writes the file (a Vault Agent sink, say) must keep it fresh.
    public var appWrapped: Bool
    /// Secret IDs are paths under this path, which starts with the engine's mount (`secret/og`).
    public var rootPath: String
    /// Sent as X-Vault-Namespace (Vault Enterprise / HCP).
    public var namespace: String?
    /// ID, in the default local store, of the token (Token) or secret ID (AppRoleSecret).
    public var secretCredentialID: String?

    public init(url: String, authType: AuthType, roleID: String? = nil, secretFile: String? = nil, appWrapped: Bool = false,
                rootPath: String = "", namespace: String? = nil, secretCredentialID: String? = nil) {
        self.url = url
        self.authType = authType
        self.roleID = roleID
        self.secretFile = secretFile
        self.appWrapped = appWrapped
        self.rootPath = rootPath
        self.namespace = namespace
        self.secretCredentialID = secretCredentialID
    }
}
