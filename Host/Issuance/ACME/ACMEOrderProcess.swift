import Foundation
import OGMaterial

/// A step of an order the caller persists as it happens, so a crash or a
/// restart can resume the same order from its URL instead of creating a second.
public enum ACMEOrderEvent: Sendable {
    /// The CA created (or, on resume, described) the order.
    case order(ACMEOrder)
    /// The challenge for `identifier` is published and the CA was told to validate it.
    case challengeAnswered(identifier: String, challengeType: String)
    /// One identifier's authorization is valid.
    case authorized(identifier: String, challengeType: String)
    /// The CSR was submitted.
    case finalized(ACMEOrder)
}

/// How long the process waits for the CA, and how often it asks.
public struct ACMEWaits: Sendable {
    /// Upper bound for one authorization to become valid, and for the order to become ready or valid.
    public var limit: TimeInterval
    /// Poll interval when the CA gives no Retry-After, reached by doubling from `firstInterval`
    /// (most validations finish within a second); a Retry-After is honoured up to `maximumInterval`.
    public var firstInterval: TimeInterval = 0.2
    public var interval: TimeInterval
    public var maximumInterval: TimeInterval

    public init(limit: TimeInterval = 180, interval: TimeInterval = 1, maximumInterval: TimeInterval = 15) {
        self.limit = limit
        self.interval = interval
        self.maximumInterval = maximumInterval
    }
}

/// Drives one order through RFC 8555's state machine: new order (or resume
/// of a known one) → authorizations answered through a `ChallengeSolver` →
/// ready → finalize with the CSR → processing → valid → certificate chain.
/// Every transition is handed to `record` before the next request, and every
/// wait is bounded: running out throws `IssuanceError.timedOut` with the order
/// left as the CA has it, to be resumed later.
public final class ACMEOrderProcess {
    let client: ACMEClient
    let solver: ChallengeSolver?
    let waits: ACMEWaits
    let record: (ACMEOrderEvent) throws -> Void
    /// Warnings for the operator (a challenge response that could not be removed).
    public private(set) var warnings: [String] = []
    var sleep: (TimeInterval) -> Void = { Thread.sleep(forTimeInterval: $0) }

    public init(client: ACMEClient, solver: ChallengeSolver?, waits: ACMEWaits = ACMEWaits(),
                record: @escaping (ACMEOrderEvent) throws -> Void) {
        self.client = client
        self.solver = solver
        self.waits = waits
        self.record = record
    }

    /// Runs the order to its certificate chain (leaf first).
    /// - Parameter answered: identifiers whose challenge response the CA accepted before this run (recorded
    ///   from `.challengeAnswered`); their challenges are polled, never answered twice.
    public func run(resuming orderURL: String?, identifiers: [ACMEIdentifier], csrDER: [UInt8],
                    preferredIssuer: String?, replaces: String? = nil, answered: Set<String> = []) throws -> [Certificate] {
        var order = try orderURL.map { try client.order($0) } ?? client.newOrder(identifiers, replaces: replaces)
        try record(.order(order))
        try requireNotInvalid(order)
        if order.status == "pending" {
            for url in order.authorizations { try authorize(url, resuming: orderURL != nil, answered: answered) }
            // The order was last seen before its authorizations were answered: ask again at once.
            order = try client.order(order.url)
            order = try poll(order, until: ["ready", "valid", "invalid", "processing"], what: "the order becoming ready")
            try record(.order(order))
            try requireNotInvalid(order)
        }
        if order.status == "ready" {
            order = try client.finalize(order, csrDER: csrDER)
            try record(.finalized(order))
            try requireNotInvalid(order)
        }
        if order.status != "valid" {
            order = try poll(order, until: ["valid", "invalid"], what: "the CA issuing the certificate")
            try record(.order(order))
            try requireNotInvalid(order)
        }
        guard let certificateURL = order.certificate else {
            throw IssuanceError.protocolViolation(url: order.url, problem: "the order is valid but has no 'certificate' URL")
        }
        return try client.certificateChain(certificateURL, preferredIssuer: preferredIssuer)
    }

    private func authorize(_ url: String, resuming: Bool, answered: Set<String>) throws {
        var authorization = try client.authorization(url)
        let name = (authorization.wildcard ? "*." : "") + authorization.identifier.value
        switch authorization.status {
        case "valid":
            // A run that was interrupted after publishing the response never took it away.
            if resuming, let solver, let token = authorization.challenges.first(where: { $0.type == solver.challengeType })?.token,
               Self.isBase64URL(token), let keyAuthorization = try? client.keyAuthorization(token: token),
               let warning = solver.cleanUp(identifier: authorization.identifier.value, token: token,
                                            keyAuthorization: keyAuthorization) {
                warnings.append(warning)
            }
            return
        case "pending":
            break
        default:
            throw IssuanceError.validationFailed(identifier: name, type: "authorization",
                                          reason: "the CA reports the authorization \(authorization.status)"
                                            + (authorization.challenges.compactMap(\.error).first.map { ": \($0)" } ?? "")
                                            + "; start a new order")
        }
        guard let solver else {
            let offered = authorization.challenges.map(\.type).joined(separator: ", ")
            throw IssuanceError.challenge(identifier: name, type: "none",
                                          reason: "needs a challenge answered (the CA offers \(offered)) and no challenge method "
                                            + "was given; rerun with field `challenge` http-01 field `challenge-endpoint` EP or "
                                            + "field `challenge` dns-01 field `dns-server` HOST:PORT field `tsig-key` NAME to resume this order")
        }
        guard let challenge = authorization.challenges.first(where: { $0.type == solver.challengeType }),
              let token = challenge.token, !token.isEmpty else {
            let offered = authorization.challenges.map(\.type).joined(separator: ", ")
            throw IssuanceError.challenge(identifier: name, type: solver.challengeType,
                                          reason: "the CA does not offer it for this name (it offers \(offered)); resume the "
                                            + "order with one of those")
        }
        guard Self.isBase64URL(token) else {
            throw IssuanceError.protocolViolation(url: challenge.url, problem: "the challenge token is not base64url; refusing to "
                                                  + "use it as a file name")
        }
        let keyAuthorization = try client.keyAuthorization(token: token)
        try solver.present(identifier: authorization.identifier.value, token: token, keyAuthorization: keyAuthorization)
        defer {
            if let warning = solver.cleanUp(identifier: authorization.identifier.value, token: token,
                                            keyAuthorization: keyAuthorization) {
                warnings.append(warning)
            }
        }
        // RFC 8555 §7.5.1: respond only to a `pending` challenge, once. One the CA is `processing` (or already
        // found `valid`) is polled. A `pending` one this order already answered is polled too: a CA may keep it
        // `pending` while it validates (Pebble 2.4 does), and a second response would queue a second validation
        // that can still fail, and invalidate the authorization, after the response is taken away below.
        switch challenge.status {
        case "pending" where !answered.contains(name):
            try client.respond(to: challenge.url)
            try record(.challengeAnswered(identifier: name, challengeType: solver.challengeType))
        case "pending", "processing", "valid":
            break
        default:
            throw IssuanceError.validationFailed(identifier: name, type: solver.challengeType,
                                                 reason: "the CA reports the challenge \(challenge.status)"
                                                   + (challenge.error.map { ": \($0)" } ?? "") + "; start a new order")
        }
        let deadline = Date().addingTimeInterval(waits.limit)
        var delay = waits.firstInterval
        while authorization.status == "pending" {
            guard Date() < deadline else {
                throw IssuanceError.timedOut(what: "validation of \(name) by \(solver.challengeType)", state: "pending")
            }
            sleep(interval(authorization.retryAfter, &delay))
            authorization = try client.authorization(url)
        }
        guard authorization.status == "valid" else {
            let problem = authorization.challenges.first(where: { $0.type == solver.challengeType })?.error
            throw IssuanceError.validationFailed(identifier: name, type: solver.challengeType,
                                          reason: "the CA could not validate it: " + (problem.map { "\($0)" } ?? authorization.status))
        }
        try record(.authorized(identifier: name, challengeType: solver.challengeType))
    }

    static func isBase64URL(_ token: String) -> Bool {
        token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    private func poll(_ start: ACMEOrder, until states: Set<String>, what: String) throws -> ACMEOrder {
        var order = start
        let deadline = Date().addingTimeInterval(waits.limit)
        var delay = waits.firstInterval
        while !states.contains(order.status) {
            guard Date() < deadline else { throw IssuanceError.timedOut(what: what, state: order.status) }
            sleep(interval(order.retryAfter, &delay))
            order = try client.order(order.url)
        }
        return order
    }

    /// The CA's Retry-After when it gave one (bounded), else `delay`, which doubles up to `waits.interval`.
    private func interval(_ retryAfter: TimeInterval?, _ delay: inout TimeInterval) -> TimeInterval {
        if let retryAfter { return min(waits.maximumInterval, max(waits.firstInterval, retryAfter)) }
        let current = delay
        delay = min(waits.interval, delay * 2)
        return current
    }

    private func requireNotInvalid(_ order: ACMEOrder) throws {
        guard order.status == "invalid" else { return }
        throw IssuanceError.problem(order.error ?? ACMEProblem(type: "orderInvalid", detail: "the CA marked the order invalid",
                                                              status: nil), url: order.url)
    }
}
