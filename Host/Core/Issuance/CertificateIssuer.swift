import Foundation
import OGCredentials
import OGInventory

/// What a renewal asks an issuer for: a new version of certificate `name`.
public struct IssuanceRequest: Sendable {
    public var certificateName: String
    public var issuerName: String
    public var commonName: String?
    public var dnsNames: [String]
    /// `ec-p256` unless given.
    public var keyType: String?
    public var challenge: ChallengeOptions
    /// Bound on each wait for the CA (validation, issuance), in seconds.
    public var waitLimit: TimeInterval
    /// The certificate this one replaces (ARI `replaces`), by vault ID.
    public var replacesCertificateID: String?
    /// Whether to record the issuer and these settings in the lineage's renewal policy (what `cert issue` does;
    /// a renewal, which repeats recorded settings, does not).
    public var recordForRenewal: Bool = true

    public init(certificateName: String, issuerName: String, commonName: String? = nil, dnsNames: [String] = [],
                keyType: String? = nil, challenge: ChallengeOptions = ChallengeOptions(), waitLimit: TimeInterval = 180,
                replacesCertificateID: String? = nil) {
        self.certificateName = certificateName
        self.issuerName = issuerName
        self.commonName = commonName
        self.dnsNames = dnsNames
        self.keyType = keyType
        self.challenge = challenge
        self.waitLimit = waitLimit
        self.replacesCertificateID = replacesCertificateID
    }
}

/// How the CA's challenges are answered: `http-01` through an endpoint's
/// webroot, `dns-01` through RFC 2136 updates signed with TSIG.
public struct ChallengeOptions: Sendable {
    public var type: String?
    public var endpoint: String?
    public var webroot: String?
    public var dnsServer: String?
    public var tsigKeyName: String?
    /// `-` or `env:NAME` (or the secret itself), read through SecretInput; base64 as in BIND's key files.
    public var tsigSecret: String?
    public var tsigAlgorithm: String?
    /// The TSIG secret itself, when the caller already has it (a renewal reads it from the credential store).
    public var tsigSecretValue: Secret?

    public init(type: String? = nil, endpoint: String? = nil, webroot: String? = nil, dnsServer: String? = nil,
                tsigKeyName: String? = nil, tsigSecret: String? = nil, tsigAlgorithm: String? = nil) {
        self.type = type
        self.endpoint = endpoint
        self.webroot = webroot
        self.dnsServer = dnsServer
        self.tsigKeyName = tsigKeyName
        self.tsigSecret = tsigSecret
        self.tsigAlgorithm = tsigAlgorithm
    }
}

/// What an issuer produced: the vault record of the new certificate and the order behind it.
public struct IssuanceResult: Sendable {
    public var certificate: ManagedCertificateRecord
    /// The ACME order behind it (nil for issuers without orders, such as a command issuer).
    public var order: ACMEOrderRecord?
    /// The vault ID of the certificate that held the name before (now unnamed), if any.
    public var previousCertificateID: String?
    /// True when an interrupted order was resumed rather than a new one created.
    public var resumed: Bool
    public var warnings: [String]
}

/// An issuing step the renewal scheduler can call without knowing the protocol:
/// ACME first; other CAs implement the same.
public protocol CertificateIssuer {
    func issue(_ request: IssuanceRequest) throws -> IssuanceResult
}

/// A CA's suggested renewal window for one certificate (RFC 9773), for the renewal policy.
public struct RenewalWindow: Sendable, Encodable {
    public var certificateID: String
    public var issuer: String
    /// The certificate's ARI identifier (what a renewal order's `replaces` carries).
    public var ariIdentifier: String
    public var start: Date
    public var end: Date
    public var explanationURL: String?
    /// Seconds the CA asks clients to wait before asking again.
    public var retryAfter: TimeInterval?
}
