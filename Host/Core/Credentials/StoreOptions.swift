/// The options of `credstore add|update hashicorp`, as typed. Secret options
/// hold what the user gave (`-`, `env:NAME` or the value); they are read
/// through `SecretInput` only when needed.
public struct VaultStoreOptions: Sendable {
    public var url: String?
    public var authType: String?
    public var token: String?
    public var roleID: String?
    public var secretID: String?
    public var secretFile: String?
    public var appWrapped: String?
    public var rootPath: String?
    public var namespace: String?
    /// A secret path to fetch once before anything is saved.
    public var verify: String?

    public init(url: String? = nil, authType: String? = nil, token: String? = nil, roleID: String? = nil, secretID: String? = nil,
                secretFile: String? = nil, appWrapped: String? = nil, rootPath: String? = nil, namespace: String? = nil,
                verify: String? = nil) {
        self.url = url
        self.authType = authType
        self.token = token
        self.roleID = roleID
        self.secretID = secretID
        self.secretFile = secretFile
        self.appWrapped = appWrapped
        self.rootPath = rootPath
        self.namespace = namespace
        self.verify = verify
    }
}

/// The options of `credstore add|update cyberark`, as typed.
public struct CyberArkStoreOptions: Sendable {
    public var appID: String?
    public var ccpURL: String?
    public var authCert: String?
    public var certPass: String?
    /// A `k=v;k=v` query to fetch once before anything is saved.
    public var verify: String?

    public init(appID: String? = nil, ccpURL: String? = nil, authCert: String? = nil, certPass: String? = nil, verify: String? = nil) {
        self.appID = appID
        self.ccpURL = ccpURL
        self.authCert = authCert
        self.certPass = certPass
        self.verify = verify
    }
}
