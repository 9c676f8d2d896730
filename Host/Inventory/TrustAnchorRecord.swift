import Foundation

/// A CA certificate the operator trusts: chains of imported certificates must
/// end at one of these (or at a root supplied with the chain itself).
public struct TrustAnchorRecord: Codable, Equatable, Sendable {
    /// SHA-256 over the certificate's DER, lowercase hexadecimal: the identity.
    public var fingerprint: String
    /// Unique, 1 to 32 characters.
    public var name: String
    /// RFC 4514.
    public var subject: String
    public var notAfter: Date
    public var pem: String
    /// Set by the inventory when the anchor is added.
    public package(set) var addedAt: Date

    public init(fingerprint: String, name: String, subject: String, notAfter: Date, pem: String) {
        self.fingerprint = fingerprint
        self.name = name
        self.subject = subject
        self.notAfter = notAfter
        self.pem = pem
        self.addedAt = Date()
    }

    package func validate() throws {
        guard fingerprint.count == 64, fingerprint.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw InventoryError.invalidValue(field: "fingerprint", value: fingerprint,
                                              problem: "is not a SHA-256 fingerprint in lowercase hexadecimal")
        }
        try RecordValidation.name(name, field: "trust anchor name")
        try RecordValidation.nonEmpty(subject, field: "subject")
        try RecordValidation.nonEmpty(pem, field: "certificate")
    }

    /// `text` as a fingerprint in the stored form, when it reads as one:
    /// colons and case as `openssl x509 -fingerprint` prints them are accepted.
    public static func normalizedFingerprint(_ text: String) -> String? {
        let compact = text.lowercased().filter { $0 != ":" }
        guard compact.count == 64, compact.allSatisfy(\.isHexDigit) else { return nil }
        return compact
    }
}
