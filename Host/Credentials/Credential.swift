/// What og-host presents to log in to an endpoint's host.
public struct Credential: Sendable, Equatable, CustomStringConvertible {
    public enum SecretKind: Sendable, Equatable {
        case password(Secret)
        /// A private key file on the gateway, and its passphrase if it has one.
        case privateKey(path: String, passphrase: Secret?)
    }

    public var username: String
    public var secret: SecretKind

    public init(username: String, secret: SecretKind) {
        self.username = username
        self.secret = secret
    }

    public static func password(username: String, _ password: Secret) -> Credential {
        Credential(username: username, secret: .password(password))
    }

    public static func privateKey(username: String, path: String, passphrase: Secret? = nil) -> Credential {
        Credential(username: username, secret: .privateKey(path: path, passphrase: passphrase))
    }

    public var description: String {
        switch secret {
        case .password:
            return "\(username) password \(Secret.mask)"
        case .privateKey(let path, let passphrase):
            return "\(username) private key \(path)" + (passphrase == nil ? "" : " passphrase \(Secret.mask)")
        }
    }
}
