import Foundation

/// Deploys still owed to bindings: a row says "this binding should serve its
/// lineage's current version and does not yet". Auto-deploy after a renewal
/// writes the rows before it starts (so a daemon killed mid-deploy leaves them
/// for its successor); every deploy that reaches the endpoint clears them, and
/// a failed one keeps them with its attempt count, error class and the time
/// of the next attempt, which later renewal passes and `og-host serve` honour.
/// A row goes with its binding (foreign key, cascade).
/// One binding's owed deploy.
public struct BindingDeployState: Codable, Equatable, Sendable {

    public enum State: String, Codable, Sendable {
        /// Written before a deploy starts (or left by one that never reported back): try it now.
        case pending
        /// The last attempt failed; the next waits until `nextAttemptAt`.
        case failed
    }

    public var lineage: String
    public var endpointID: String
    /// The binding's node ("" = the plugin's choice).
    public var node: String
    public var certificateID: String
    public var state: State
    /// Failed attempts so far (for this version).
    public var attempts: Int
    /// The renewal error class the backoff followed (`network`, `configuration`, `other`).
    public var errorClass: String?
    /// The gateway error category of the last failure.
    public var category: String?
    public var lastError: String?
    public var lastAttemptAt: Date?
    public var nextAttemptAt: Date
    public var createdAt: Date
    public var updatedAt: Date

    public init(lineage: String, endpointID: String, node: String, certificateID: String, state: State, attempts: Int = 0,
                errorClass: String? = nil, category: String? = nil, lastError: String? = nil, lastAttemptAt: Date? = nil,
                nextAttemptAt: Date, createdAt: Date = Date(), updatedAt: Date = Date()) {
        self.lineage = lineage
        self.endpointID = endpointID
        self.node = node
        self.certificateID = certificateID
        self.state = state
        self.attempts = attempts
        self.errorClass = errorClass
        self.category = category
        self.lastError = lastError
        self.lastAttemptAt = lastAttemptAt
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

