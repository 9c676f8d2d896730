import OGPluginKit

/// The three endpoint types of the keystore plugin and their option schemas.
/// Option names follow the reference command lines (`--path`,
/// `--store_password`, `--install_script`, `--restart_script`, `--is_legacy`).
enum KeystoreDescriptor {
    static let plugin = PluginDescriptor(
        name: "keystore",
        version: "1.0.0",
        license: "Apache-2.0",
        summary: "Certificate files used directly by applications: PKCS#12 and Java keystores, PEM files",
        types: [p12, jks, pem])

    /// Keystore files are reached like any file: locally, over SSH, or over WinRM on Windows.
    static let connectionTypes: ConnectionTypes = [
        .local, .ssh, .sshWindows, .winrmHTTP, .winrmHTTPS, .winrmHTTPSInsecure,
    ]

    /// Every type advertises restart; without --restart_script the operation
    /// fails with a message saying how to configure one.
    static let capabilities: Capabilities = [.testConnection, .discover, .install, .configTest, .activate, .restart]

    static let p12 = EndpointTypeDescriptor(
        name: StoreKind.pkcs12.typeName,
        summary: "A PKCS#12 keystore file (.p12/.pfx): og-host adds or replaces one key entry and keeps the others",
        connectionTypes: connectionTypes, capabilities: capabilities,
        options: [
            storePath(example: "/opt/app/keystore.p12", format: "PKCS#12"),
            storePassword,
            alias,
            installScript(subject: "keystore"),
            restartScript,
            OptionSchema(name: "is_legacy", kind: .boolean, defaultValue: "false",
                         help: "true writes the file with legacy PKCS#12 encryption (3DES, SHA-1 MAC) for old Java "
                             + "and Windows readers; false (recommended) uses PBES2 with AES."),
        ])

    static let jks = EndpointTypeDescriptor(
        name: StoreKind.jks.typeName,
        summary: "A Java KeyStore file (JKS): og-host adds or replaces one key entry and keeps the others",
        connectionTypes: connectionTypes, capabilities: capabilities,
        options: [
            storePath(example: "/opt/tomcat/conf/keystore.jks", format: "JKS"),
            storePassword,
            alias,
            installScript(subject: "keystore"),
            restartScript,
        ])

    static let pem = EndpointTypeDescriptor(
        name: StoreKind.pem.typeName,
        summary: "A PEM certificate file (leaf and chain), with the private key in it or in its own file",
        connectionTypes: connectionTypes, capabilities: capabilities,
        options: [
            OptionSchema(name: "path", kind: .path, isRequired: true, minimum: 1, maximum: Int64(EndpointPath.maximumLength),
                         help: "Absolute path of the certificate file on the endpoint, e.g. /etc/app/tls/cert.pem; "
                             + "an install writes the leaf followed by its intermediates. The file must already "
                             + "exist; an empty file is accepted. Without --key_path the private key goes into "
                             + "this file too, before the certificates."),
            OptionSchema(name: "key_path", kind: .path, minimum: 1, maximum: Int64(EndpointPath.maximumLength),
                         help: "Absolute path where the private key is written (unencrypted PEM, mode 0600 for a "
                             + "new file). Its directory must exist. Omit it to keep the key in --path."),
            installScript(subject: "certificate file"),
            restartScript,
        ])

    private static func storePath(example: String, format: String) -> OptionSchema {
        OptionSchema(name: "path", kind: .path, isRequired: true, minimum: 1, maximum: Int64(EndpointPath.maximumLength),
                     help: "Absolute path of the \(format) keystore on the endpoint, e.g. \(example). It must "
                         + "already exist and open with --store_password.")
    }

    private static let storePassword = OptionSchema(
        name: KeystoreEndpoint.passwordOption, kind: .string, isRequired: true, isSecret: true, minimum: 1, maximum: 1024,
        help: "Password that opens the keystore; the installed key is protected with it too.")

    private static let alias = OptionSchema(
        name: "alias", kind: .string, minimum: Int64(AliasRules.minimumLength), maximum: Int64(AliasRules.maximumLength),
        defaultValue: KeystoreEndpoint.defaultAlias,
        help: "The entry alias to add or replace (no '/' or control characters); an install's own alias "
            + "takes precedence. Left at its default, a store holding exactly one key entry has that entry "
            + "replaced (the one its server uses) instead of gaining a second.")

    private static func installScript(subject: String) -> OptionSchema {
        let argument = subject == "keystore" ? "the entry alias" : "the certificate file's path"
        return OptionSchema(
            name: "install_script", kind: .path, minimum: 1, maximum: Int64(EndpointPath.maximumLength),
            help: "Absolute path of an executable script on the endpoint, run after each install with \(argument) "
                + "as its only argument. If it exits non-zero the install fails: og-host restores the previous "
                + "\(subject) and runs the script again so dependents pick the restored file up.")
    }

    private static let restartScript = OptionSchema(
        name: "restart_script", kind: .path, minimum: 1, maximum: Int64(EndpointPath.maximumLength),
        help: "Absolute path of an executable script on the endpoint, run with no arguments by a restart "
            + "request. Without it the endpoint cannot be restarted.")
}
