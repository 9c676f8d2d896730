import Foundation

/// What listing a store shows about a credential: never the secret itself.
public struct CredentialSummary: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case password
        case privateKey(path: String, hasPassphrase: Bool)
    }

    public var id: String
    public var username: String
    public var kind: Kind
    public var createdAt: Date
    public var updatedAt: Date

    public var description: String {
        switch kind {
        case .password:
            return "\(id) \(username) password \(Secret.mask)"
        case .privateKey(let path, let hasPassphrase):
            return "\(id) \(username) private key \(path)" + (hasPassphrase ? " passphrase \(Secret.mask)" : "")
        }
    }
}
