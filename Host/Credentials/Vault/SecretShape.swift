/// The rule every external secret must satisfy to become a `Credential`: a
/// username, and either a password or a private key path (with an optional
/// passphrase), never both.
public enum SecretShape {
    /// Field names as Vault secrets spell them.
    public static let usernameField = "username"
    public static let passwordField = "password"
    public static let privateKeyPathField = "private_key_path"
    public static let passphraseField = "pass_phrase"

    /// Builds the credential from the fields of a secret; the error text names
    /// fields, never their values.
    public static func credential(username: String?, password: String?, privateKeyPath: String?,
                                  passphrase: String?) throws(ExternalStoreError.Failure) -> Credential {
        guard let username, !username.isEmpty else {
            throw .wrongShape("has no '\(usernameField)'; store the login name under that key")
        }
        let password = password.flatMap { $0.isEmpty ? nil : $0 }
        let path = privateKeyPath.flatMap { $0.isEmpty ? nil : $0 }
        switch (password, path) {
        case (.some, .some):
            throw .wrongShape("holds both '\(passwordField)' and '\(privateKeyPathField)'; keep exactly one of them")
        case (nil, nil):
            throw .wrongShape("holds neither '\(passwordField)' nor '\(privateKeyPathField)'; add exactly one of them")
        case (let password?, nil):
            if passphrase.map({ !$0.isEmpty }) == true {
                throw .wrongShape("'\(passphraseField)' belongs with '\(privateKeyPathField)', not with '\(passwordField)'; remove it")
            }
            return .password(username: username, Secret(password))
        case (nil, let path?):
            guard path.hasPrefix("/") else {
                throw .wrongShape("'\(privateKeyPathField)' \(path) is not absolute; give the full path on the gateway")
            }
            return .privateKey(username: username, path: path,
                               passphrase: passphrase.flatMap { $0.isEmpty ? nil : Secret($0) })
        }
    }
}
