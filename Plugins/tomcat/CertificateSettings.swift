/// Where one TLS certificate of a connector comes from, as server.xml
/// configures it: a keystore (JKS or PKCS#12) or PEM files. Each setting
/// keeps the attribute it came from, so an install can edit that text.
struct CertificateSettings {
    /// The element carrying the attributes: a <Certificate>, an
    /// <SSLHostConfig> that holds them itself (Tomcat 8.5 style), or a
    /// <Connector> with the older attribute names.
    let element: XMLDocument.Element
    let names: AttributeNames
    /// The `type` attribute of a <Certificate> (RSA, EC, UNDEFINED).
    let keyType: String

    enum Source {
        case keystore(Keystore)
        case pem(PEM)
    }

    struct Keystore {
        /// Absolute path on the endpoint.
        let path: String
        /// The configured store password (Tomcat's default is "changeit").
        let password: String
        /// The configured type, e.g. JKS or PKCS12; nil when not set.
        let type: String?
        /// The configured key alias; nil lets Tomcat take the first key entry.
        let alias: String?
        /// A separate key password; nil means the store password.
        let keyPassword: String?
        /// The password is read from a file, which og-host does not follow.
        let usesPasswordFile: Bool
    }

    struct PEM {
        let certificatePath: String
        /// Nil: the key is read from the certificate file.
        let keyPath: String?
        let chainPath: String?
        /// The password of an encrypted key; nil when the key is not encrypted.
        let keyPassword: String?
    }

    let source: Source

    /// The file an operator looks at for this certificate.
    var certificateFile: String {
        switch source {
        case .keystore(let keystore): return keystore.path
        case .pem(let pem): return pem.certificatePath
        }
    }
}

/// Attribute spellings: Tomcat 9+ <Certificate> attributes, and the
/// Connector-level ones older server.xml files use.
struct AttributeNames: Sendable {
    let keystoreFile: String
    let keystorePassword: String
    let keystorePasswordFile: String?
    let keystoreType: String
    let keyAlias: String
    let keyPassword: String
    let certificateFile: String
    let certificateKeyFile: String
    let certificateChainFile: String
    let pemKeyPassword: String

    static let certificate = AttributeNames(
        keystoreFile: "certificateKeystoreFile", keystorePassword: "certificateKeystorePassword",
        keystorePasswordFile: "certificateKeystorePasswordFile", keystoreType: "certificateKeystoreType",
        keyAlias: "certificateKeyAlias", keyPassword: "certificateKeyPassword", certificateFile: "certificateFile",
        certificateKeyFile: "certificateKeyFile", certificateChainFile: "certificateChainFile",
        pemKeyPassword: "certificateKeyPassword")

    static let legacyConnector = AttributeNames(
        keystoreFile: "keystoreFile", keystorePassword: "keystorePass", keystorePasswordFile: nil,
        keystoreType: "keystoreType", keyAlias: "keyAlias", keyPassword: "keyPass",
        certificateFile: "SSLCertificateFile", certificateKeyFile: "SSLCertificateKeyFile",
        certificateChainFile: "SSLCertificateChainFile", pemKeyPassword: "SSLPassword")

    /// Every attribute that configures a certificate, to tell whether an element carries one.
    var all: [String] {
        [keystoreFile, keystorePassword, keystoreType, keyAlias, keyPassword, certificateFile, certificateKeyFile,
         certificateChainFile, pemKeyPassword] + (keystorePasswordFile.map { [$0] } ?? [])
    }
}
