import Foundation

/// An ACME CA and the gateway's account there: what `og-host issuer add acme` records.
public struct ACMEIssuerRecord: Codable, Equatable, Sendable {

    public var name: String
    public var directoryURL: String
    /// The account's URL (its `kid`), kept because some CAs do not hand an
    /// existing account back on a repeated new-account request with EAB.
    public var accountURL: String?
    /// Names the sealed account key file under `<data>/keys`.
    public var accountKeyID: String
    public var accountKeySpec: String
    /// JSON array of contact URLs (`mailto:…`).
    public var contact: String
    public var eabKeyID: String?
    /// The credential (default local store) holding the EAB HMAC key.
    public var eabCredentialID: String?
    /// Extra trust anchors for the CA's HTTPS server.
    public var caBundlePEM: String?
    /// Common name of the root (or top issuer) of the chain to prefer among alternates.
    public var preferredChain: String?
    public var termsOfService: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(name: String, directoryURL: String, accountURL: String?, accountKeyID: String, accountKeySpec: String,
                contact: [String], eabKeyID: String?, eabCredentialID: String?, caBundlePEM: String?,
                preferredChain: String?, termsOfService: String?) {
        self.name = name
        self.directoryURL = directoryURL
        self.accountURL = accountURL
        self.accountKeyID = accountKeyID
        self.accountKeySpec = accountKeySpec
        self.contact = String(decoding: (try? JSONEncoder().encode(contact)) ?? Data("[]".utf8), as: UTF8.self)
        self.eabKeyID = eabKeyID
        self.eabCredentialID = eabCredentialID
        self.caBundlePEM = caBundlePEM
        self.preferredChain = preferredChain
        self.termsOfService = termsOfService
        createdAt = Date()
        updatedAt = createdAt
    }

    public var contacts: [String] { (try? JSONDecoder().decode([String].self, from: Data(contact.utf8))) ?? [] }
}

/// One order placed with an ACME issuer, persisted as it progresses so a
/// restart resumes it (by its URL) instead of placing a second one.
public struct ACMEOrderRecord: Codable, Equatable, Sendable {

    public enum State: String, Codable, Sendable, CaseIterable {
        /// Recorded locally; the CA has not answered the new-order request yet.
        case created
        /// The CA has the order; authorizations are being answered.
        case pending
        /// Every authorization is valid; the CSR can be submitted.
        case ready
        /// The CSR was submitted; the CA is issuing.
        case processing
        /// The CA issued the certificate; it is not yet in the vault.
        case valid
        /// The certificate is in the vault (`certificateID`). Final.
        case completed
        /// The CA marked the order invalid, or it was abandoned. Final.
        case failed

        public var isFinal: Bool { self == .completed || self == .failed }
    }

    /// A lowercase UUID.
    public var id: String
    public var issuerName: String
    /// The vault name the certificate will be stored under.
    public var certificateName: String
    public var state: State
    public var orderURL: String?
    /// JSON array of DNS names.
    public var identifiers: String
    public var keySpec: String
    public var csrPEM: String
    public var challengeType: String?
    /// JSON object: endpoint, webroot, DNS server, TSIG key name (never the TSIG secret).
    public var challengeSettings: String
    /// JSON array of identifiers whose authorization is valid.
    public var authorized: String
    /// JSON array of identifiers whose challenge the CA accepted a response to. A resumed order polls
    /// these instead of responding again: a CA may keep the challenge `pending` while it validates
    /// (Pebble 2.4 does), and a second response queues a second validation that can still fail after
    /// the response was taken away.
    public var answered: String
    public var certificateURL: String?
    /// The vault certificate made from this order, once completed.
    public var certificateID: String?
    /// ARI identifier of the certificate this order renews.
    public var replaces: String?
    /// The last error seen (problem type and detail, or the local failure), for `cert order show`.
    public var lastProblem: String?
    /// Set by `cert revoke` once the CA accepted the revocation.
    public var revokedAt: Date?
    public var revocationReason: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String = UUID().uuidString.lowercased(), issuerName: String, certificateName: String,
                identifiers: [String], keySpec: String, csrPEM: String, challengeType: String?,
                challengeSettings: [String: String], replaces: String?) {
        self.id = id
        self.issuerName = issuerName
        self.certificateName = certificateName
        state = .created
        self.identifiers = Self.json(identifiers)
        self.keySpec = keySpec
        self.csrPEM = csrPEM
        self.challengeType = challengeType
        self.challengeSettings = Self.json(challengeSettings)
        authorized = "[]"
        answered = "[]"
        self.replaces = replaces
        createdAt = Date()
        updatedAt = createdAt
    }

    public var identifierList: [String] { (try? JSONDecoder().decode([String].self, from: Data(identifiers.utf8))) ?? [] }
    public var authorizedList: [String] { (try? JSONDecoder().decode([String].self, from: Data(authorized.utf8))) ?? [] }
    public var settings: [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(challengeSettings.utf8))) ?? [:]
    }

    public mutating func markAuthorized(_ identifier: String) {
        var list = authorizedList
        if !list.contains(identifier) { list.append(identifier) }
        authorized = Self.json(list)
    }

    public var answeredList: [String] { (try? JSONDecoder().decode([String].self, from: Data(answered.utf8))) ?? [] }

    public mutating func markAnswered(_ identifier: String) {
        var list = answeredList
        if !list.contains(identifier) { list.append(identifier) }
        answered = Self.json(list)
    }

    public mutating func setSettings(_ settings: [String: String]) { challengeSettings = Self.json(settings) }

    static func json<Value: Encodable>(_ value: Value) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }
}
