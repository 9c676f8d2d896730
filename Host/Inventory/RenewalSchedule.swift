import Foundation

/// One lineage's renewal policy and state.
public struct RenewalScheduleRecord: Codable, Equatable, Sendable {

    public var lineage: String
    /// nil = the gateway default rule.
    public var renewBeforeDays: Int?
    /// nil = the gateway default (on unless changed).
    public var autoDeploy: Bool?
    /// nil = the manual issuer.
    public var issuerName: String?
    /// JSON object of what `cert issue` was given.
    public var issuanceSettings: String
    /// The version the state below was planned for.
    public var certificateID: String?
    public var dueAt: Date?
    public var dueReason: String?
    public var emergencyAt: Date?
    public var ariWindowStart: Date?
    public var ariWindowEnd: Date?
    public var ariCheckedAt: Date?
    /// When to ask the CA for its window again (its Retry-After).
    public var ariNextCheckAt: Date?
    /// The random point chosen inside the ARI window; kept while the window holds it.
    public var chosenAt: Date?
    /// Consecutive failed attempts for this version.
    public var failures: Int
    public var errorClass: String?
    public var lastError: String?
    public var backoffUntil: Date?
    public var lastAttemptAt: Date?
    public var lastOutcome: String?
    public var lastRenewedAt: Date?
    /// The version an `expiring` event was already raised for (manual issuer).
    public var notifiedCertificateID: String?
    /// When the scheduler next looks at this lineage: max(due, backoff), or the ARI re-check; nil = nothing to do.
    public var nextAttemptAt: Date?
    public var claimedBy: String?
    public var claimToken: String?
    public var claimExpiresAt: Date?
    public package(set) var createdAt: Date
    public package(set) var updatedAt: Date

    public init(lineage: String) {
        self.lineage = lineage
        issuanceSettings = "{}"
        failures = 0
        nextAttemptAt = Self.replanDate
        createdAt = Date()
        updatedAt = createdAt
    }

    /// The `nextAttemptAt` of a row the scheduler must plan before anything else.
    public static let replanDate = Date(timeIntervalSince1970: 0)

    /// True when the row was marked for planning (new lineage, new version, changed policy).
    public var needsPlanning: Bool { nextAttemptAt.map { $0 <= Self.replanDate } ?? false }

    /// `nextAttemptAt` from the state: the due time (or the ARI re-check, if earlier), but never inside a backoff.
    public mutating func recomputeNextAttempt() {
        guard var next = dueAt else {
            nextAttemptAt = nil
            return
        }
        if let ariNextCheckAt, ariNextCheckAt < next { next = ariNextCheckAt }
        if let backoffUntil, backoffUntil > next { next = backoffUntil }
        nextAttemptAt = next
    }

    public var settings: [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(issuanceSettings.utf8))) ?? [:]
    }

    public mutating func setSettings(_ settings: [String: String]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        issuanceSettings = String(decoding: (try? encoder.encode(settings)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

/// The gateway-wide policy lineages without their own follow.
public struct RenewalDefaults: Codable, Equatable, Sendable {
    var id: Int = 1
    /// nil = a third of the lifetime (half for 10 days or less).
    public var renewBeforeDays: Int?
    public var autoDeploy: Bool
    public package(set) var updatedAt: Date
}

/// The right to renew one lineage until `expiresAt`. `token` fences writes: a
/// holder whose claim expired and was taken by another gateway can no longer
/// change the row.
public struct RenewalClaim: Equatable, Sendable {
    public var lineage: String
    public var token: String
    public var owner: String
    public var expiresAt: Date
}
