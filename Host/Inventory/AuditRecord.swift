import Foundation
import OGBasics

/// One line of the audit trail: who did what to which endpoint, and how it ended.
public struct AuditRecord: Codable, Equatable, Sendable {
    public enum Outcome: String, Codable, Sendable {
        case success
        case failure
    }

    /// Assigned by the inventory on append; increases with every record.
    public package(set) var id: Int64?
    public var time: Date
    /// The user on whose behalf og-host acted (see `AuditRecord.currentActor`).
    public var actor: String
    /// A dotted verb such as `tls.add` or `tls.install`.
    public var action: String
    /// The endpoint name or instance ID acted on.
    public var subject: String
    public var outcome: Outcome
    /// Human-readable detail. Callers pass text already scrubbed of secrets:
    /// the audit trail is readable by anyone who can read the inventory.
    public var detail: String

    public init(time: Date = Date(), actor: String = AuditRecord.currentActor(), action: String, subject: String,
                outcome: Outcome, detail: String = "") {
        self.time = time
        self.actor = actor
        self.action = action
        self.subject = subject
        self.outcome = outcome
        self.detail = detail
    }

    /// The account name of the effective user, or `uid N` when it has none.
    /// Under sudo the invoking user is kept too (`root (sudo by alice)`), since
    /// that is the person an auditor is looking for.
    public static func currentActor(environment: Environment = .process,
                                    effectiveUserID: uid_t = geteuid()) -> String {
        let account = UserAccount(uid: effectiveUserID)?.name ?? "uid \(effectiveUserID)"
        if effectiveUserID == 0, let invoker = environment["SUDO_USER"], !invoker.isEmpty, invoker != account {
            return "\(account) (sudo by \(invoker))"
        }
        return account
    }
}

/// Which audit records to list. Unset fields do not filter.
public struct AuditFilter: Sendable {
    public var subject: String?
    public var action: String?
    /// Only records at or after this time.
    public var since: Date?
    /// Only records before this time.
    public var until: Date?
    public var outcome: AuditRecord.Outcome?
    /// At most this many records, the newest.
    public var limit: Int?

    public init(subject: String? = nil, action: String? = nil, since: Date? = nil, until: Date? = nil,
                outcome: AuditRecord.Outcome? = nil, limit: Int? = nil) {
        self.subject = subject
        self.action = action
        self.since = since
        self.until = until
        self.outcome = outcome
        self.limit = limit
    }
}
