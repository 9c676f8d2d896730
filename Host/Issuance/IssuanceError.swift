import Foundation

/// Everything that can go wrong while talking to a CA or answering its
/// challenges, phrased for the operator: which server, which object, what it
/// said (an ACME problem's type and detail), and what to do next.
public enum IssuanceError: Error, CustomStringConvertible, Sendable {
    /// The CA answered with an RFC 7807 problem document.
    case problem(ACMEProblem, url: String)
    /// The CA's reply is not what RFC 8555 says it must be (malformed JSON, a missing field, a wrong status).
    case protocolViolation(url: String, problem: String)
    /// The request did not reach the CA, or no reply came back.
    case transport(url: String, reason: String)
    /// A wait was bounded and ran out; the order stays where it is and can be resumed.
    case timedOut(what: String, state: String)
    /// A challenge could not be answered (written, published, verified visible).
    case challenge(identifier: String, type: String, reason: String)
    /// The CA tried the challenge and failed it (or the authorization is dead): the order cannot be resumed.
    case validationFailed(identifier: String, type: String, reason: String)
    /// A value given by the operator was refused; `field` names the option.
    case invalidArgument(field: String, problem: String)
    /// A DNS server refused or garbled an update or query.
    case dns(server: String, problem: String)

    public var description: String {
        switch self {
        case .problem(let problem, let url):
            return "the CA refused the request to \(url): \(problem)"
        case .protocolViolation(let url, let problem):
            return "the CA's reply from \(url) is not valid ACME: \(problem)"
        case .transport(let url, let reason):
            return "could not reach the CA at \(url): \(reason)"
        case .timedOut(let what, let state):
            return "\(what) did not finish in time (last state: \(state))"
        case .challenge(let identifier, let type, let reason):
            return "\(type) challenge for \(identifier): \(reason)"
        case .validationFailed(let identifier, let type, let reason):
            return "\(type) validation of \(identifier) failed: \(reason)"
        case .invalidArgument(let field, let problem):
            return "\(field): \(problem)"
        case .dns(let server, let problem):
            return "DNS server \(server): \(problem)"
        }
    }

    /// The problem's type without the ACME namespace (`rateLimited`), when the CA sent one.
    public var problemType: String? {
        if case .problem(let problem, _) = self { return problem.shortType }
        return nil
    }

    /// Seconds the CA asked to wait before trying again, when it said.
    public var retryAfter: TimeInterval? {
        if case .problem(let problem, _) = self { return problem.retryAfter }
        return nil
    }
}

/// An RFC 7807 problem document as ACME servers send them (RFC 8555 §6.7).
public struct ACMEProblem: Sendable, CustomStringConvertible {
    public var type: String
    public var detail: String?
    public var status: Int?
    public var subproblems: [ACMEProblem]
    /// From the Retry-After header of the reply that carried the problem.
    public var retryAfter: TimeInterval?
    public var identifier: String?

    public init(type: String, detail: String?, status: Int?, subproblems: [ACMEProblem] = [],
                retryAfter: TimeInterval? = nil, identifier: String? = nil) {
        self.type = type
        self.detail = detail
        self.status = status
        self.subproblems = subproblems
        self.retryAfter = retryAfter
        self.identifier = identifier
    }

    public var shortType: String {
        type.hasPrefix("urn:ietf:params:acme:error:") ? String(type.dropFirst("urn:ietf:params:acme:error:".count)) : type
    }

    public var description: String {
        var text = shortType + (detail.map { ": \($0)" } ?? "")
        if let identifier { text = "\(identifier): " + text }
        if let retryAfter { text += " (retry after \(Int(retryAfter.rounded(.up))) s)" }
        if !subproblems.isEmpty { text += " [" + subproblems.map(\.description).joined(separator: "; ") + "]" }
        return text
    }

    /// Reads a problem from a JSON object; nil when it has no `type`.
    static func parse(_ object: [String: Any], retryAfter: TimeInterval? = nil) -> ACMEProblem? {
        guard let type = object["type"] as? String else { return nil }
        let subproblems = (object["subproblems"] as? [[String: Any]] ?? []).compactMap { parse($0) }
        let identifier = (object["identifier"] as? [String: Any])?["value"] as? String
        return ACMEProblem(type: type, detail: object["detail"] as? String, status: object["status"] as? Int,
                           subproblems: subproblems, retryAfter: retryAfter, identifier: identifier)
    }
}
