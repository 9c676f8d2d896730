import OGMaterial

/// Answers one kind of ACME challenge by publishing the key authorization
/// where the CA will look for it: a file under a web server's document root
/// (http-01), a TXT record in DNS (dns-01). The issuance layer calls
/// `present` before telling the CA to validate and `cleanUp` afterwards,
/// whether validation succeeded or not.
public protocol ChallengeSolver: AnyObject {
    /// The ACME challenge type this solver answers: "http-01" or "dns-01".
    var challengeType: String { get }

    /// Publishes the response for `identifier` and returns once it is in
    /// place (for dns-01: once the authoritative server answers with it).
    func present(identifier: String, token: String, keyAuthorization: String) throws

    /// Takes the response away again. Returns a warning for the operator when
    /// it could not (the order's outcome does not depend on it).
    func cleanUp(identifier: String, token: String, keyAuthorization: String) -> String?
}

/// The record and value dns-01 publishes for a key authorization (RFC 8555 §8.4).
public enum DNS01 {
    public static func recordName(for identifier: String) -> String {
        "_acme-challenge." + (identifier.hasPrefix("*.") ? String(identifier.dropFirst(2)) : identifier)
    }

    public static func recordValue(keyAuthorization: String) -> String {
        Base64URL.encode(MessageAuthentication.sha256(Array(keyAuthorization.utf8)))
    }
}
