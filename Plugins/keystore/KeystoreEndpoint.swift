import OGPluginKit

/// An endpoint's options, checked once and typed: which kind of file, where it
/// is, and the scripts around it. Every operation starts from this value.
struct KeystoreEndpoint {
    /// The option naming the store password; the host reads the value itself
    /// when it opens or writes the keystore.
    static let passwordOption = "store_password"
    /// The entry an install writes when neither the install nor --alias names one.
    static let defaultAlias = "og-host"

    let kind: StoreKind
    let platform: Platform
    let path: String
    /// PEM only: where the private key goes; nil keeps it in `path`.
    let keyPath: String?
    /// Keystores only: the entry to add or replace when an install names none.
    let alias: String
    /// PKCS#12 only: 3DES + SHA-1 MAC instead of PBES2.
    let isLegacy: Bool
    let installScript: String?
    let restartScript: String?
    /// Kept only to scrub it from script output before that output is shown.
    let storePassword: String?

    init(_ endpoint: Endpoint) throws {
        kind = try StoreKind(typeName: endpoint.type)
        platform = endpoint.platform
        path = try EndpointPath.absoluteFile(try endpoint.string("path"), option: "path", platform: platform)
        installScript = try Self.optionalPath("install_script", endpoint)
        restartScript = try Self.optionalPath("restart_script", endpoint)
        switch kind {
        case .pkcs12, .jks:
            keyPath = nil
            storePassword = try endpoint.string(Self.passwordOption)
            alias = try AliasRules.checked(endpoint.options["alias"] ?? Self.defaultAlias, field: "alias")
            isLegacy = kind == .pkcs12 ? try endpoint.booleanIfPresent("is_legacy") ?? false : false
        case .pem:
            keyPath = try Self.optionalPath("key_path", endpoint)
            storePassword = nil
            alias = ""
            isLegacy = false
            if let keyPath, EndpointPath.same(keyPath, path, platform: platform) {
                throw PluginError(status: .invalidArgument, field: "key_path",
                                  message: "is the same file as --path; omit --key_path to keep the key in that file, "
                                      + "or give a separate file such as \(EndpointPath.parent(of: path, platform: platform))/key.pem")
            }
        }
    }

    /// What the install script receives when the host re-activates after a
    /// rollback (it sends no request): the configured alias, or for a PEM
    /// endpoint the certificate file.
    var defaultScriptArgument: String { kind == .pem ? path : alias }

    var fileName: String { EndpointPath.fileName(of: path, platform: platform) }

    private static func optionalPath(_ option: String, _ endpoint: Endpoint) throws -> String? {
        guard let value = endpoint.options[option], !value.isEmpty else { return nil }
        return try EndpointPath.absoluteFile(value, option: option, platform: endpoint.platform)
    }
}
