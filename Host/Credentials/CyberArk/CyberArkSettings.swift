/// How og-host reaches one CyberArk Central Credential Provider; kept as the
/// credential store's settings JSON. The `.p12` password is not here; it
/// lives in the default local store under `certPassCredentialID`.
public struct CyberArkSettings: Codable, Equatable, Sendable {
    /// Base address of the CCP, e.g. `https://ccp.example`.
    public var ccpURL: String
    public var appID: String
    /// A PKCS#12 file with the client certificate and key the CCP expects;
    /// nil for machine-address authentication.
    public var authCertPath: String?
    public var certPassCredentialID: String?

    public init(ccpURL: String, appID: String, authCertPath: String? = nil, certPassCredentialID: String? = nil) {
        self.ccpURL = ccpURL
        self.appID = appID
        self.authCertPath = authCertPath
        self.certPassCredentialID = certPassCredentialID
    }
}
