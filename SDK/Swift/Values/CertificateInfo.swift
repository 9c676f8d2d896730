/// A certificate as the host describes it to plugins; never key material.
public struct CertificateInfo: Sendable, Hashable {
    /// RFC 4514.
    public var subject: String
    /// Empty when the subject has none.
    public var commonName: String
    /// subjectAltName dNSName entries.
    public var dnsNames: [String]
    /// subjectAltName iPAddress entries, textual.
    public var ipAddresses: [String]
    public var serialHex: String
    /// Lowercase hex, no separators.
    public var sha256Fingerprint: String
    /// Seconds since the Unix epoch.
    public var notBefore: Int64
    /// Seconds since the Unix epoch.
    public var notAfter: Int64
    /// `"RSA-2048"`, `"EC-P256"`, ...
    public var keyAlgorithm: String
    /// RFC 4514.
    public var issuer: String

    public init(subject: String, commonName: String = "", dnsNames: [String] = [], ipAddresses: [String] = [],
                serialHex: String = "", sha256Fingerprint: String = "", notBefore: Int64 = 0, notAfter: Int64 = 0,
                keyAlgorithm: String = "", issuer: String = "") {
        self.subject = subject
        self.commonName = commonName
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.serialHex = serialHex
        self.sha256Fingerprint = sha256Fingerprint
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.keyAlgorithm = keyAlgorithm
        self.issuer = issuer
    }
}
