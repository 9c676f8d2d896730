/// Why a credential could not be fetched from an external store (HashiCorp
/// Vault, CyberArk CCP). Every message names the store and the credential ID
/// and says what failed; none carries a token, password or secret ID.
public struct ExternalStoreError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Failure: Error, Equatable, Sendable {
        /// No HTTP answer: connection refused, TLS rejected, timed out.
        case unreachable(String)
        /// The store refused who we are (token, AppRole, AppID, client certificate).
        case authenticationRefused(String)
        /// The store answered, but holds nothing at that ID.
        case secretMissing(String)
        /// The secret exists but is not a username with a password or a key path.
        case wrongShape(String)
        /// Any other answer the store gave.
        case unexpectedAnswer(String)
        /// The store's own configuration is unusable (missing file, token not stored).
        case configuration(String)
    }

    public var store: String
    /// The credential being fetched, or nil while logging in.
    public var id: String?
    public var failure: Failure

    public init(store: String, id: String?, _ failure: Failure) {
        self.store = store
        self.id = id
        self.failure = failure
    }

    public var description: String {
        let subject = "credential store '\(store)'" + (id.map { ", credential '\($0)'" } ?? "")
        switch failure {
        case .unreachable(let detail): return "\(subject): store unreachable: \(detail)"
        case .authenticationRefused(let detail): return "\(subject): authentication refused: \(detail)"
        case .secretMissing(let detail): return "\(subject): secret missing: \(detail)"
        case .wrongShape(let detail): return "\(subject): wrong secret shape: \(detail)"
        case .unexpectedAnswer(let detail): return "\(subject): unexpected answer: \(detail)"
        case .configuration(let detail): return "\(subject): \(detail)"
        }
    }
}
