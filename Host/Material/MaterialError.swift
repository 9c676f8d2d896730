import Foundation

/// Everything that can go wrong with keys, certificates, keystores and TLS probes.
///
/// Each message names what was being read or checked, says what is wrong and
/// what to do about it. None of them ever contains a password or key bytes.
public enum MaterialError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A value supplied by the user is malformed; `field` names where it came from.
    case invalidField(field: String, value: String, problem: String)
    /// Encrypted key material was given without a passphrase.
    case passphraseRequired(what: String)
    /// The passphrase did not decrypt the key.
    case wrongPassphrase(what: String)
    /// Bytes that should hold `what` could not be read as such.
    case unreadable(what: String, reason: String)
    /// The private key is not the one whose public half is in the certificate.
    case keyMismatch(certificateSubject: String)
    /// No certificate in the chain or trust anchors issued `subject`.
    case chainIncomplete(subject: String, issuer: String)
    /// A certificate carries the issuer's name but was not signed by its key.
    case wrongIssuer(subject: String, issuer: String)
    /// The chain ends at a self-signed certificate the caller does not trust.
    case untrustedRoot(subject: String)
    case expired(subject: String, notAfter: Date)
    case notYetValid(subject: String, notBefore: Date)
    /// OpenSSL's chain verification failed for another reason.
    case chainInvalid(subject: String, reason: String)
    /// The keystore's integrity check failed: the password is wrong (or the file was altered).
    case wrongKeystorePassword(format: String)
    /// The keystore could not be parsed.
    case damagedKeystore(format: String, reason: String)
    /// An OpenSSL operation failed unexpectedly.
    case openSSL(operation: String, messages: [String])
    /// A TLS probe could not fetch the served certificate.
    case probeFailed(endpoint: String, reason: String)

    public var description: String {
        switch self {
        case .invalidField(let field, let value, let problem):
            return "\(field): '\(value)' \(problem)"
        case .passphraseRequired(let what):
            return "\(what): is encrypted; supply its passphrase"
        case .wrongPassphrase(let what):
            return "\(what): the passphrase is wrong; supply the passphrase it was encrypted with"
        case .unreadable(let what, let reason):
            return "\(what): cannot be read: \(reason)"
        case .keyMismatch(let subject):
            return "private key does not match certificate (\(subject)); supply the key the certificate was issued for"
        case .chainIncomplete(let subject, let issuer):
            return "chain incomplete: no issuer for '\(subject)' found in the supplied chain or trust anchors; "
                + "add the certificate of '\(issuer)'"
        case .wrongIssuer(let subject, let issuer):
            return "chain invalid: '\(issuer)' has the issuer's name but not the key that signed '\(subject)'; "
                + "supply the matching issuer certificate"
        case .untrustedRoot(let subject):
            return "chain ends at the self-signed '\(subject)', which is not among the trust anchors; "
                + "add it to the trust anchors if you trust it"
        case .expired(let subject, let notAfter):
            return "certificate expired on \(MaterialError.day(notAfter)) (\(subject)); renew it"
        case .notYetValid(let subject, let notBefore):
            return "certificate is not valid before \(MaterialError.day(notBefore)) (\(subject)); "
                + "check the gateway's clock or wait until then"
        case .chainInvalid(let subject, let reason):
            return "chain invalid at '\(subject)': \(reason)"
        case .wrongKeystorePassword(let format):
            return "\(format) keystore: the password is wrong (its integrity check failed); supply the store password"
        case .damagedKeystore(let format, let reason):
            return "\(format) keystore is damaged: \(reason); restore it from a backup"
        case .openSSL(let operation, let messages):
            let detail = messages.isEmpty ? "no detail from OpenSSL" : messages.joined(separator: "; ")
            return "\(operation) failed: \(detail)"
        case .probeFailed(let endpoint, let reason):
            return "\(endpoint): \(reason)"
        }
    }

    /// Dates in messages are calendar days in UTC, the way certificates are usually discussed.
    static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}
