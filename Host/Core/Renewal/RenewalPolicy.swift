import Foundation

/// When a certificate is due for renewal, and how long to wait after a failed
/// attempt. Pure: the clock (`now`) and the random source are passed in, so
/// every rule is unit-tested without waiting; the results are stored in the
/// renewal schedule, so a restart never re-rolls a random choice.
///
/// Rules, in order:
/// 1. The base due time: when a third of the lifetime remains (half for
///    lifetimes of 10 days or less), or `renewBeforeDays` before notAfter when
///    the operator set it (1–120; a value at or beyond the whole lifetime would
///    renew every new version at once, so the base rule is used instead and the
///    decision says so). Jitter moves it earlier by up to a fiftieth of the
///    lifetime (at most 6 hours), so certificates issued together do not all
///    renew in the same minute; never later, so it cannot push a renewal past
///    the rule.
/// 2. An ACME Renewal Information window (RFC 9773 §4.2) replaces the base:
///    a uniformly random point inside it, chosen once and kept while the
///    window contains it. An operator's `renewBeforeDays` may only bring it
///    earlier.
/// 3. Emergency: when less than a twentieth of the lifetime remains, the
///    certificate is due whatever the rules above said (a CA window that ends
///    later does not delay it), and backoffs are shortened.
public struct RenewalPolicy: Sendable, Equatable {
    /// Days before notAfter the operator wants renewal; nil = the gateway default rule.
    public var renewBeforeDays: Int?

    public static let renewBeforeDaysRange = 1...120
    /// Lifetimes up to this length renew at half their lifetime instead of a third.
    public static let shortLifetime: TimeInterval = 10 * 86_400
    /// At most this much jitter, whatever the lifetime.
    public static let maximumJitter: TimeInterval = 6 * 3_600

    public init(renewBeforeDays: Int? = nil) {
        self.renewBeforeDays = renewBeforeDays
    }

    /// Validates an operator's `renewBeforeDays`, naming the field.
    public static func validate(renewBeforeDays days: Int) throws {
        guard renewBeforeDaysRange.contains(days) else {
            throw GatewayError.option("renew-before-days", "\(days) is not between \(renewBeforeDaysRange.lowerBound) and "
                                      + "\(renewBeforeDaysRange.upperBound)")
        }
    }

    /// The due time for a certificate valid from `notBefore` to `notAfter`.
    /// `ari` is the CA's current window, `previousChoice` the point chosen in
    /// an earlier window (kept when the window still contains it).
    public func decide<Random: RandomNumberGenerator>(notBefore: Date, notAfter: Date, ari: DateInterval? = nil,
                                                      previousChoice: Date? = nil, using random: inout Random)
        -> RenewalDecision {
        let lifetime = max(notAfter.timeIntervalSince(notBefore), 0)
        let emergencyAt = notAfter.addingTimeInterval(-lifetime / 20)
        guard lifetime > 0 else {
            return RenewalDecision(dueAt: notBefore, reason: .emergency, emergencyAt: notBefore, ariChoice: nil,
                                   note: "the certificate's validity period is empty")
        }
        var note: String?
        let ruleDue: Date
        let ruleReason: RenewalDecision.Reason
        let fraction: Double = lifetime <= Self.shortLifetime ? 1.0 / 2 : 1.0 / 3
        let defaultDue = notAfter.addingTimeInterval(-lifetime * fraction)
        if let days = renewBeforeDays {
            let window = TimeInterval(days) * 86_400
            if window >= lifetime {
                ruleDue = defaultDue
                ruleReason = .lifetimeFraction
                note = "renew-before-days \(days) is not shorter than the lifetime (\(Self.days(lifetime)) days); "
                    + "renewing when \(fraction == 0.5 ? "half" : "a third") of it remains instead"
            } else {
                ruleDue = notAfter.addingTimeInterval(-window)
                ruleReason = .renewBeforeDays
            }
        } else {
            ruleDue = defaultDue
            ruleReason = .lifetimeFraction
        }
        let jitterBound = min(lifetime / 50, Self.maximumJitter)
        let jittered = max(ruleDue.addingTimeInterval(-Self.uniform(0...jitterBound, using: &random)), notBefore)

        var due = jittered
        var reason = ruleReason
        var choice: Date?
        if let ari, ari.duration >= 0 {
            if let previousChoice, ari.contains(previousChoice) {
                choice = previousChoice
            } else {
                choice = ari.start.addingTimeInterval(Self.uniform(0...ari.duration, using: &random))
            }
            due = choice!
            reason = .renewalInformation
            if renewBeforeDays != nil, ruleReason == .renewBeforeDays, ruleDue < due {
                due = ruleDue
                reason = .renewBeforeDays
            }
        }
        if due > emergencyAt {
            due = emergencyAt
            reason = .emergency
        }
        return RenewalDecision(dueAt: max(due, notBefore), reason: reason, emergencyAt: emergencyAt, ariChoice: choice,
                               note: note)
    }

    static func uniform<Random: RandomNumberGenerator>(_ range: ClosedRange<TimeInterval>, using random: inout Random)
        -> TimeInterval {
        range.upperBound <= range.lowerBound ? range.lowerBound : TimeInterval.random(in: range, using: &random)
    }

    static func days(_ interval: TimeInterval) -> String {
        let days = interval / 86_400
        return days == days.rounded() ? String(Int(days)) : String(format: "%.1f", days)
    }
}

/// What the policy decided for one certificate version.
public struct RenewalDecision: Sendable, Equatable {
    public enum Reason: String, Sendable, Codable {
        /// A third (or half, for short lifetimes) of the lifetime remains.
        case lifetimeFraction = "lifetime"
        /// The operator's renew-before-days.
        case renewBeforeDays = "renew-before-days"
        /// A point inside the CA's ACME Renewal Information window.
        case renewalInformation = "renewal-info"
        /// Less than a twentieth of the lifetime remains.
        case emergency
    }

    public var dueAt: Date
    public var reason: Reason
    /// From this time on, the renewal is an emergency.
    public var emergencyAt: Date
    /// The point chosen inside the ARI window, to store.
    public var ariChoice: Date?
    /// Something the operator should know about how the rule was applied.
    public var note: String?
}

/// Why a renewal attempt failed, as far as when to try again is concerned.
public enum RenewalErrorClass: String, Sendable, Codable, CaseIterable {
    /// The CA refused because of a rate limit: wait what it asked (Retry-After), or long.
    case rateLimited = "rate-limited"
    /// The CA tried the challenges and failed them: someone has to fix DNS or the web server; back off long.
    case validation
    /// The CA or an endpoint could not be reached, or timed out: try again soon.
    case network
    /// The issuer or policy is misconfigured (missing issuer, bad settings): retrying will not help until someone acts.
    case configuration
    /// Anything else.
    case other
}

/// How long to wait after the `failures`-th consecutive failure of one class.
public struct RenewalBackoff: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        /// The first wait.
        public var initial: TimeInterval
        /// Each further failure multiplies the wait by this.
        public var growth: Double
        /// The wait never exceeds this.
        public var cap: TimeInterval
    }

    public var rules: [RenewalErrorClass: Rule]
    /// In an emergency waits are capped at this (a CA's Retry-After is still honoured).
    public var emergencyCap: TimeInterval
    /// A CA's Retry-After beyond this is taken as this (a broken header must not park a certificate for months).
    public var retryAfterCap: TimeInterval
    /// Waits are stretched by a random 0–10 %, so gateways that failed together do not retry together.
    public var jitterFraction: Double

    public static let standard = RenewalBackoff(
        rules: [
            .rateLimited: Rule(initial: 3_600, growth: 2, cap: 24 * 3_600),
            .validation: Rule(initial: 3_600, growth: 4, cap: 24 * 3_600),
            .network: Rule(initial: 300, growth: 2, cap: 6 * 3_600),
            .configuration: Rule(initial: 3_600, growth: 2, cap: 24 * 3_600),
            .other: Rule(initial: 900, growth: 2, cap: 12 * 3_600),
        ],
        emergencyCap: 3_600, retryAfterCap: 7 * 86_400, jitterFraction: 0.1)

    /// The wait after the `failures`-th consecutive failure (1 = the first) of class `errorClass`.
    public func delay<Random: RandomNumberGenerator>(_ errorClass: RenewalErrorClass, failures: Int,
                                                     retryAfter: TimeInterval?, emergency: Bool,
                                                     using random: inout Random) -> TimeInterval {
        if errorClass == .rateLimited, let retryAfter, retryAfter > 0 {
            // The CA said when; earlier is pointless, later wastes the window. No jitter beyond it.
            return min(retryAfter, retryAfterCap)
        }
        let rule = rules[errorClass] ?? rules[.other]!
        let exponent = Double(max(failures, 1) - 1)
        var wait = min(rule.initial * pow(rule.growth, min(exponent, 64)), rule.cap)
        if emergency { wait = min(wait, emergencyCap) }
        wait *= 1 + RenewalPolicy.uniform(0...jitterFraction, using: &random)
        // A server that asked for more time (503 with Retry-After) gets it.
        if let retryAfter, retryAfter > wait { wait = min(retryAfter, retryAfterCap) }
        return wait
    }
}
