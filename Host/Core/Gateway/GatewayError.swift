import OGBasics
import OGConnections
import OGCredentials
import OGInventory
import OGPlugins

/// The one error of the gateway core, phrased for the operator: what is wrong
/// with which input, and what to do. Nothing was changed unless the message
/// says so.
///
/// Its `category` is what callers act on: the CLI turns it into an exit code
/// (`Category.exitCode`, the table in README and `og-host --help`), a daemon
/// into retry or no retry (`Category.isRetryable`). The library never spells
/// command-line options: a problem with one input names its `field`
/// (`port`), other inputs the text mentions are written "field `chain`"
/// (`FieldMention`), and the CLI renders both as options (`--port`, `--chain`).
public struct GatewayError: Error, CustomStringConvertible, Sendable {
    public enum Category: String, Sendable, CaseIterable, Codable {
        /// The input is wrong: a malformed value, a missing or conflicting option, a refused certificate.
        case badInput = "bad-input"
        /// What the input refers to does not exist: an endpoint, certificate, anchor, store, plugin type.
        case notFound = "not-found"
        /// The request collides with current state: the endpoint is busy with another job, a name is taken.
        case conflict
        /// An endpoint, store or key file refused the credentials.
        case authenticationRefused = "authentication-refused"
        /// The endpoint refused or failed a step; every change was rolled back.
        case endpointRolledBack = "endpoint-rolled-back"
        /// The endpoint may be left inconsistent; `og-host tls recover` (or the next job) must finish the rollback.
        case endpointInconsistent = "endpoint-inconsistent"
        /// A network failure or timeout; the same request may succeed later.
        case transient
        /// A request over several targets (`cert deploy`, `tls install` on several
        /// endpoints) succeeded on some and failed on others; its summary says which.
        case partial
        /// A check ran and found something to act on (`cert watch`: a served certificate expiring, other than
        /// the one installed, unreachable, or a binding never deployed); its report says which.
        case attention
        /// Anything else: a bug, a damaged data directory, an unusable plugin.
        case `internal`

        /// The process exit status the CLI uses for this category.
        public var exitCode: Int32 {
            switch self {
            case .internal: return 1
            case .badInput: return 2
            case .notFound: return 3
            case .conflict: return 4
            case .authenticationRefused: return 5
            case .endpointRolledBack: return 6
            case .endpointInconsistent: return 7
            case .transient: return 8
            case .partial: return 9
            case .attention: return 10
            }
        }

        /// Whether repeating the same request later can succeed without anyone changing anything.
        public var isRetryable: Bool { self == .conflict || self == .transient }

        /// One line for the exit-code table.
        public var summary: String {
            switch self {
            case .badInput: return "bad input or usage (nothing was changed)"
            case .notFound: return "not found: no such endpoint, certificate, anchor, store or type"
            case .conflict: return "conflict: endpoint busy with another job, or name taken (retry later)"
            case .authenticationRefused: return "authentication refused"
            case .endpointRolledBack: return "the endpoint failed; every change was rolled back"
            case .endpointInconsistent: return "the endpoint may be inconsistent; run `og-host tls recover`"
            case .transient: return "transient: network failure or timeout (retry later)"
            case .partial: return "partial: some targets succeeded, others failed; see the summary"
            case .attention: return "attention: a check found something to act on (cert watch: expiring, mismatch, unreachable, not deployed)"
            case .internal: return "internal error"
            }
        }

        /// The end of a request over several targets: nil when every one
        /// succeeded, `partial` when some did, otherwise the most severe
        /// failure (inconsistent before rolled back before the rest), so a
        /// script learns the worst state an endpoint may be in.
        public static func combined(succeeded: Int, failures: [Category]) -> Category? {
            if failures.isEmpty { return nil }
            if succeeded > 0 { return .partial }
            let severity: [Category] = [.endpointInconsistent, .endpointRolledBack, .internal, .authenticationRefused,
                                        .transient, .conflict, .notFound, .badInput, .partial]
            return severity.first { failures.contains($0) } ?? .internal
        }

        /// The exit-code table, for `--help` and README.
        public static var exitCodeTable: String {
            (["0  success"] + allCases.sorted { $0.exitCode < $1.exitCode }.map { "\($0.exitCode)  \($0.summary)" })
                .joined(separator: "\n")
        }
    }

    public var category: Category
    /// The input the problem is about (`port`, `cert`, `name`), when it is about one.
    public var field: String?
    /// What is wrong, without the field.
    public var problem: String
    /// The lower layer's error this one was phrased from, when a caller must act on its kind
    /// (the renewal scheduler backs off by it: a CA's rate limit and Retry-After, a failed validation).
    public var cause: (any Error & Sendable)?

    public init(_ problem: String, category: Category = .internal, field: String? = nil) {
        self.problem = problem
        self.category = category
        self.field = field
    }

    /// For code written against the exit-code form: the category whose exit code is `exitCode`.
    @available(*, deprecated, message: "give the category: GatewayError(problem, category: .badInput)")
    public init(_ problem: String, exitCode: Int32) {
        self.init(problem, category: Category.allCases.first { $0.exitCode == exitCode } ?? .internal)
    }

    /// A problem with one input: field `port`, problem `70000 is not between 1 and 65535`.
    public static func option(_ field: String, _ problem: String, category: Category = .badInput) -> GatewayError {
        GatewayError(problem, category: category, field: field)
    }

    public static func badInput(_ problem: String) -> GatewayError { GatewayError(problem, category: .badInput) }
    public static func notFound(_ problem: String) -> GatewayError { GatewayError(problem, category: .notFound) }
    public static func conflict(_ problem: String) -> GatewayError { GatewayError(problem, category: .conflict) }

    /// The message with the field and every field mentioned in the text
    /// rendered by `fieldName` (the CLI passes `{ "--" + $0 }`).
    public func message(fieldName: (String) -> String) -> String {
        let text = FieldMention.render(problem, fieldName)
        guard let field else { return text }
        return "\(fieldName(field)): \(text)"
    }

    /// The message with the field named as it is (`port: ...`) and mentions as
    /// written ("field `chain`"): for audit details, logs and a daemon.
    public var message: String {
        guard let field else { return problem }
        return "\(field): \(problem)"
    }

    /// `text` (a job's report line, a warning) with the fields it mentions rendered by `fieldName`.
    public static func rendering(_ text: String, fieldName: (String) -> String) -> String {
        FieldMention.render(text, fieldName)
    }
    public var exitCode: Int32 { category.exitCode }
    public var description: String { message }

    /// Any error from a lower layer as a GatewayError, keeping its message and
    /// choosing the category its kind implies.
    public static func classify(_ error: any Error, context: String? = nil) -> GatewayError {
        var classified: GatewayError
        switch error {
        case let error as GatewayError:
            classified = error
        case let error as ConnectionError:
            classified = GatewayError("\(error)", category: category(of: error))
        case let error as InventoryError:
            classified = GatewayError("\(error)", category: category(of: error))
        case let error as PluginCallFailure:
            classified = GatewayError(error.description, category: category(of: error.status))
        case let error as CredentialsError:
            classified = GatewayError("\(error)", category: category(of: error))
        default:
            classified = GatewayError("\(error)")
        }
        if let context { classified.problem = "\(context): \(classified.problem)" }
        return classified
    }

    static func category(of error: ConnectionError) -> Category {
        switch error {
        case .couldNotConnect, .timedOut: return .transient
        case .authenticationFailed, .hostKeyRejected, .hostKeyUnknown: return .authenticationRefused
        case .invalidArgument: return .badInput
        case .notFound: return .notFound
        case .commandFailed, .io, .notSupported: return .internal
        }
    }

    static func category(of error: InventoryError) -> Category {
        switch error {
        case .nameTaken, .credentialStoreNameTaken, .installJobIDTaken, .credentialStoreInUse,
             .endpointHasUnfinishedInstall, .endpointBusy, .installJobLeased, .fenced, .certificateBound,
             .renewalClaimLost:
            return .conflict
        case .invalidValue, .invalidJSON, .unknownCredentialStore, .defaultStoreIsBuiltIn:
            return .badInput
        case .endpointNotFound, .credentialStoreNotFound, .installJobNotFound, .certificateNotFound:
            return .notFound
        default:
            return .internal
        }
    }

    static func category(of error: CredentialsError) -> Category {
        switch error {
        case .notFound: return .notFound
        case .idTaken: return .conflict
        case .invalidValue, .secretInput: return .badInput
        default: return .internal
        }
    }

    static func category(of status: PluginStatus) -> Category {
        switch status {
        case .invalidArgument, .parse: return .badInput
        case .notFound: return .notFound
        case .auth, .identity: return .authenticationRefused
        case .connect, .timeout: return .transient
        case .conflict: return .conflict
        default: return .internal
        }
    }
}
