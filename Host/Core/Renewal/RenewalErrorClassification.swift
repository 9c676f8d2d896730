import Foundation
import OGIssuance

extension RenewalErrorClass {
    /// The class of a failed renewal attempt and the wait the CA asked for, from
    /// whatever the issuer or the deploy threw. ACME problems are read by type
    /// (RFC 8555 §6.7); everything else by its gateway category.
    public static func classify(_ error: any Error) -> (errorClass: RenewalErrorClass, retryAfter: TimeInterval?) {
        let gatewayError = error as? GatewayError
        if let issuanceError = (error as? IssuanceError) ?? (gatewayError?.cause as? IssuanceError) {
            return classify(issuanceError)
        }
        switch GatewayError.classify(error).category {
        case .transient, .conflict: return (.network, nil)
        case .badInput, .notFound, .authenticationRefused: return (.configuration, nil)
        default: return (.other, nil)
        }
    }

    /// ACME problem types that mean the CA tried to validate and could not.
    static let validationProblems: Set<String> = ["unauthorized", "dns", "connection", "incorrectResponse", "caa", "tls",
                                                   "rejectedIdentifier", "unsupportedIdentifier"]

    static func classify(_ error: IssuanceError) -> (errorClass: RenewalErrorClass, retryAfter: TimeInterval?) {
        switch error {
        case .problem(let problem, _):
            if problem.shortType == "rateLimited" { return (.rateLimited, problem.retryAfter) }
            let types = [problem.shortType] + problem.subproblems.map(\.shortType)
            if types.contains(where: validationProblems.contains) { return (.validation, problem.retryAfter) }
            if problem.shortType == "badNonce" || problem.shortType == "serverInternal" || (problem.status ?? 0) >= 500 {
                return (.network, problem.retryAfter)
            }
            if ["accountDoesNotExist", "externalAccountRequired", "userActionRequired", "badCSR",
                "badSignatureAlgorithm", "badPublicKey"].contains(problem.shortType) {
                return (.configuration, problem.retryAfter)
            }
            return (.other, problem.retryAfter)
        case .validationFailed, .challenge:
            return (.validation, nil)
        case .transport, .timedOut, .dns:
            return (.network, nil)
        case .invalidArgument:
            return (.configuration, nil)
        case .protocolViolation:
            return (.other, nil)
        }
    }
}
