import Foundation
import OGHost
import OGIssuance
import OGTestSupport
import Testing


/// Always the same word. `bottom` draws the lower bound of a Double range and `top` its upper bound
/// (Double.random(in:) asks next(upperBound: 2^53 + 1); a word of 0 would be rejected for ever).
struct ConstantRandom: RandomNumberGenerator {
    static let bottom: UInt64 = 1
    static let top: UInt64 = .max
    let value: UInt64
    mutating func next() -> UInt64 { value }
}

let day: TimeInterval = 86_400
let hour: TimeInterval = 3_600
let epoch = Date(timeIntervalSince1970: 1_800_000_000)

func decide(_ policy: RenewalPolicy = RenewalPolicy(), lifetime: TimeInterval, ari: DateInterval? = nil,
            previous: Date? = nil, random: UInt64 = ConstantRandom.bottom) -> RenewalDecision {
    var generator = ConstantRandom(value: random)
    return policy.decide(notBefore: epoch, notAfter: epoch.addingTimeInterval(lifetime), ari: ari, previousChoice: previous,
                         using: &generator)
}

func close(_ a: Date, _ b: Date, within seconds: TimeInterval = 0.001) -> Bool {
    abs(a.timeIntervalSince(b)) <= seconds
}

@Suite struct RenewalPolicyTests {
    @Test func aThirdOfTheLifetimeRemainsForLongCertificates() {
        let decision = decide(lifetime: 90 * day)
        #expect(close(decision.dueAt, epoch.addingTimeInterval(60 * day)))
        #expect(decision.reason == .lifetimeFraction)
        #expect(close(decision.emergencyAt, epoch.addingTimeInterval(90 * day - 4.5 * day)))
        #expect(decision.note == nil && decision.ariChoice == nil)
    }

    @Test func halfTheLifetimeRemainsForTenDaysOrLess() {
        #expect(close(decide(lifetime: 7 * day).dueAt, epoch.addingTimeInterval(3.5 * day)))
        #expect(close(decide(lifetime: 10 * day).dueAt, epoch.addingTimeInterval(5 * day)))
        // One second longer than ten days: a third again.
        let justOver = decide(lifetime: 10 * day + 1)
        #expect(close(justOver.dueAt, epoch.addingTimeInterval((10 * day + 1) * 2 / 3)))
        #expect(close(decide(lifetime: hour).dueAt, epoch.addingTimeInterval(hour / 2)))
    }

    @Test func jitterOnlyMovesEarlierAndByAtMostAFiftiethCappedAtSixHours() {
        // The top of the draw: the full jitter.
        #expect(close(decide(lifetime: 90 * day, random: ConstantRandom.top).dueAt, epoch.addingTimeInterval(60 * day - 6 * hour), within: 1))
        #expect(close(decide(lifetime: 7 * day, random: ConstantRandom.top).dueAt, epoch.addingTimeInterval(3.5 * day - 7 * day / 50), within: 1))
        var spread = Set<Int>()
        var generator = SeededRandom(42)
        for _ in 0..<2_000 {
            let decision = RenewalPolicy().decide(notBefore: epoch, notAfter: epoch.addingTimeInterval(90 * day), using: &generator)
            let offset = epoch.addingTimeInterval(60 * day).timeIntervalSince(decision.dueAt)
            #expect(offset >= 0 && offset <= 6 * hour)
            spread.insert(Int(offset / 600))
        }
        #expect(spread.count > 30, "jitter spreads over the whole range: \(spread.count) ten-minute buckets")
    }

    @Test func renewBeforeDaysReplacesTheLifetimeRule() {
        let decision = decide(RenewalPolicy(renewBeforeDays: 30), lifetime: 90 * day)
        #expect(close(decision.dueAt, epoch.addingTimeInterval(60 * day)))
        #expect(decision.reason == .renewBeforeDays)
        let year = decide(RenewalPolicy(renewBeforeDays: 30), lifetime: 365 * day)
        #expect(close(year.dueAt, epoch.addingTimeInterval(335 * day)) && year.reason == .renewBeforeDays)
        // 14 days of a year is less than a twentieth (18.25 days): the emergency rule comes first.
        let late = decide(RenewalPolicy(renewBeforeDays: 14), lifetime: 365 * day)
        #expect(close(late.dueAt, epoch.addingTimeInterval(365 * day - 18.25 * day)) && late.reason == .emergency)
    }

    @Test func renewBeforeDaysNotShorterThanTheLifetimeFallsBackAndSaysSo() {
        let decision = decide(RenewalPolicy(renewBeforeDays: 120), lifetime: 90 * day)
        #expect(close(decision.dueAt, epoch.addingTimeInterval(60 * day)))
        #expect(decision.reason == .lifetimeFraction)
        #expect(decision.note?.contains("renew-before-days 120 is not shorter than the lifetime (90 days)") == true,
                "\(decision.note ?? "-")")
        let week = decide(RenewalPolicy(renewBeforeDays: 7), lifetime: 7 * day)
        #expect(close(week.dueAt, epoch.addingTimeInterval(3.5 * day)) && week.note?.contains("half") == true)
    }

    @Test func renewBeforeDaysIsValidatedNamingTheField() throws {
        for bad in [0, -1, 121, 10_000] {
            let error = #expect(throws: GatewayError.self) { try RenewalPolicy.validate(renewBeforeDays: bad) }
            #expect(error?.field == "renew-before-days" && error?.category == .badInput)
            #expect(error?.problem.contains("\(bad) is not between 1 and 120") == true)
        }
        for good in [1, 30, 120] { try RenewalPolicy.validate(renewBeforeDays: good) }
    }

    @Test func anARIWindowGivesARandomPointInsideIt() {
        let window = DateInterval(start: epoch.addingTimeInterval(50 * day), end: epoch.addingTimeInterval(52 * day))
        var generator = SeededRandom(7)
        var points = Set<Int>()
        for _ in 0..<1_000 {
            let decision = RenewalPolicy().decide(notBefore: epoch, notAfter: epoch.addingTimeInterval(90 * day), ari: window,
                                                  using: &generator)
            #expect(decision.reason == .renewalInformation)
            #expect(window.contains(decision.dueAt))
            #expect(decision.ariChoice == decision.dueAt)
            points.insert(Int(decision.dueAt.timeIntervalSince(window.start) / hour))
        }
        #expect(points.count >= 40, "points spread over the 48 hours of the window: \(points.count)")
    }

    @Test func aStoredChoiceInsideTheWindowIsKeptAndOneOutsideIsRedrawn() {
        let window = DateInterval(start: epoch.addingTimeInterval(50 * day), end: epoch.addingTimeInterval(52 * day))
        let stored = epoch.addingTimeInterval(51 * day + 123)
        let kept = decide(lifetime: 90 * day, ari: window, previous: stored, random: ConstantRandom.top)
        #expect(kept.dueAt == stored && kept.ariChoice == stored)
        // The CA moved the window: the old point is outside it, so a new one is drawn inside.
        let moved = DateInterval(start: epoch.addingTimeInterval(40 * day), end: epoch.addingTimeInterval(41 * day))
        let redrawn = decide(lifetime: 90 * day, ari: moved, previous: stored, random: ConstantRandom.bottom)
        #expect(close(redrawn.dueAt, moved.start) && redrawn.ariChoice == redrawn.dueAt)
    }

    @Test func theARIWindowOverridesTheLifetimeRuleEvenWhenLater() {
        // A third would be day 60; the CA says days 70-71: the CA wins (no emergency until day 85.5).
        let window = DateInterval(start: epoch.addingTimeInterval(70 * day), end: epoch.addingTimeInterval(71 * day))
        let decision = decide(lifetime: 90 * day, ari: window, random: ConstantRandom.bottom)
        #expect(close(decision.dueAt, window.start) && decision.reason == .renewalInformation)
    }

    @Test func anOperatorsRenewBeforeDaysMayOnlyBringTheARIPointEarlier() {
        let window = DateInterval(start: epoch.addingTimeInterval(70 * day), end: epoch.addingTimeInterval(71 * day))
        let earlier = decide(RenewalPolicy(renewBeforeDays: 30), lifetime: 90 * day, ari: window)
        #expect(close(earlier.dueAt, epoch.addingTimeInterval(60 * day)) && earlier.reason == .renewBeforeDays)
        #expect(earlier.ariChoice != nil, "the ARI point is still stored")
        let later = decide(RenewalPolicy(renewBeforeDays: 5), lifetime: 90 * day, ari: window)
        #expect(close(later.dueAt, window.start) && later.reason == .renewalInformation)
    }

    @Test func emergencyOverridesALaterARIWindowAndAShortRenewBefore() {
        // Less than 1/20 of 90 days (4.5 days) left at day 85.5; the CA's window starts at day 87.
        let window = DateInterval(start: epoch.addingTimeInterval(87 * day), end: epoch.addingTimeInterval(88 * day))
        let decision = decide(lifetime: 90 * day, ari: window)
        #expect(close(decision.dueAt, epoch.addingTimeInterval(85.5 * day)))
        #expect(decision.reason == .emergency)
        // renew-before-days 1 on a 30-day certificate: 1 day is less than 1/20 (1.5 days).
        let short = decide(RenewalPolicy(renewBeforeDays: 1), lifetime: 30 * day)
        #expect(close(short.dueAt, epoch.addingTimeInterval(28.5 * day)) && short.reason == .emergency)
        // ... but 1 day on a 10-day certificate is not (1/20 = half a day).
        let fine = decide(RenewalPolicy(renewBeforeDays: 1), lifetime: 10 * day)
        #expect(close(fine.dueAt, epoch.addingTimeInterval(9 * day)) && fine.reason == .renewBeforeDays)
    }

    @Test func anEmptyOrBackwardsValidityIsDueAtOnce() {
        let decision = decide(lifetime: 0)
        #expect(decision.dueAt == epoch && decision.reason == .emergency && decision.note != nil)
        let backwards = decide(lifetime: -day)
        #expect(backwards.dueAt == epoch && backwards.reason == .emergency)
    }

    @Test func aWindowBeforeNotBeforeIsClampedToNotBefore() {
        let window = DateInterval(start: epoch.addingTimeInterval(-2 * day), end: epoch.addingTimeInterval(-day))
        let decision = decide(lifetime: 90 * day, ari: window)
        #expect(decision.dueAt == epoch, "due at once, never before the certificate is valid")
    }
}

@Suite struct RenewalBackoffTests {
    let backoff = RenewalBackoff.standard

    func delay(_ errorClass: RenewalErrorClass, _ failures: Int, retryAfter: TimeInterval? = nil, emergency: Bool = false,
               random: UInt64 = ConstantRandom.bottom) -> TimeInterval {
        var generator = ConstantRandom(value: random)
        return backoff.delay(errorClass, failures: failures, retryAfter: retryAfter, emergency: emergency, using: &generator)
    }

    @Test func networkFailuresGrowFromFiveMinutesToACapOfSixHours() {
        #expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map { delay(.network, $0) }
                == [300, 600, 1_200, 2_400, 4_800, 9_600, 19_200, 21_600, 21_600])
    }

    @Test func validationFailuresStartAtAnHourAndGrowFourfoldToADay() {
        #expect([1, 2, 3, 4].map { delay(.validation, $0) } == [3_600, 14_400, 57_600, 86_400])
    }

    @Test func rateLimitsHonourRetryAfterExactlyAndOtherwiseBackOffLong() {
        #expect(delay(.rateLimited, 1, retryAfter: 7_200, random: ConstantRandom.top) == 7_200)
        #expect(delay(.rateLimited, 5, retryAfter: 60) == 60)
        #expect([1, 2, 3, 10].map { delay(.rateLimited, $0) } == [3_600, 7_200, 14_400, 86_400])
        // A Retry-After of a month is taken as a week.
        #expect(delay(.rateLimited, 1, retryAfter: 30 * day) == 7 * day)
    }

    @Test func aServerThatAsksForLongerGetsIt() {
        #expect(delay(.network, 1, retryAfter: 1_000) == 1_000)
        #expect(delay(.network, 1, retryAfter: 10) == 300)
    }

    @Test func otherAndConfigurationFailures() {
        #expect([1, 2, 10].map { delay(.other, $0) } == [900, 1_800, 43_200])
        #expect([1, 2, 10].map { delay(.configuration, $0) } == [3_600, 7_200, 86_400])
    }

    @Test func emergencyCapsWaitsAtAnHourButNotTheCAsRetryAfter() {
        #expect(delay(.validation, 3, emergency: true) == 3_600)
        #expect(delay(.network, 1, emergency: true) == 300)
        #expect(delay(.rateLimited, 1, retryAfter: 7_200, emergency: true) == 7_200)
    }

    @Test func jitterStretchesByAtMostATenth() {
        let top = delay(.network, 1, random: ConstantRandom.top)
        #expect(top > 300 && top <= 330)
        var generator = SeededRandom(3)
        for failures in 1...12 {
            let wait = backoff.delay(.validation, failures: failures, retryAfter: nil, emergency: false, using: &generator)
            let base = min(3_600 * pow(4, Double(failures - 1)), 86_400)
            #expect(wait >= base && wait <= base * 1.1)
        }
    }
}

@Suite struct RenewalErrorClassTests {
    func problem(_ type: String, status: Int? = nil, retryAfter: TimeInterval? = nil,
                 subproblems: [ACMEProblem] = []) -> IssuanceError {
        .problem(ACMEProblem(type: "urn:ietf:params:acme:error:" + type, detail: "d", status: status, subproblems: subproblems,
                             retryAfter: retryAfter), url: "https://ca.example/acme/new-order")
    }

    @Test func acmeProblemsByType() {
        #expect(RenewalErrorClass.classify(problem("rateLimited", status: 429, retryAfter: 3_600)) == (.rateLimited, 3_600))
        #expect(RenewalErrorClass.classify(problem("unauthorized", status: 403)).errorClass == .validation)
        #expect(RenewalErrorClass.classify(problem("malformed", status: 400,
                                                   subproblems: [ACMEProblem(type: "urn:ietf:params:acme:error:dns", detail: nil,
                                                                             status: nil)])).errorClass == .validation)
        #expect(RenewalErrorClass.classify(problem("serverInternal", status: 503, retryAfter: 120)) == (.network, 120))
        #expect(RenewalErrorClass.classify(problem("badCSR", status: 400)).errorClass == .configuration)
        #expect(RenewalErrorClass.classify(problem("malformed", status: 400)).errorClass == .other)
    }

    @Test func issuanceFailuresByKind() {
        #expect(RenewalErrorClass.classify(IssuanceError.validationFailed(identifier: "a", type: "http-01", reason: "404")).errorClass
                == .validation)
        #expect(RenewalErrorClass.classify(IssuanceError.transport(url: "u", reason: "refused")).errorClass == .network)
        #expect(RenewalErrorClass.classify(IssuanceError.timedOut(what: "order", state: "pending")).errorClass == .network)
        #expect(RenewalErrorClass.classify(IssuanceError.invalidArgument(field: "cn", problem: "x")).errorClass == .configuration)
        #expect(RenewalErrorClass.classify(IssuanceError.protocolViolation(url: "u", problem: "x")).errorClass == .other)
    }

    @Test func aGatewayErrorIsClassifiedByWhatItWasPhrasedFromElseByItsCategory() {
        var wrapped = GatewayError("order 1: the CA refused: rateLimited; the order is closed")
        wrapped.cause = problem("rateLimited", status: 429, retryAfter: 60)
        #expect(RenewalErrorClass.classify(wrapped) == (.rateLimited, 60))
        #expect(RenewalErrorClass.classify(GatewayError("timeout", category: .transient)).errorClass == .network)
        #expect(RenewalErrorClass.classify(GatewayError("no such issuer", category: .notFound)).errorClass == .configuration)
        #expect(RenewalErrorClass.classify(GatewayError("bug")).errorClass == .other)
        struct Odd: Error {}
        #expect(RenewalErrorClass.classify(Odd()).errorClass == .other)
    }
}
