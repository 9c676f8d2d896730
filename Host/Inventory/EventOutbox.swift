import Foundation

/// Something the gateway did or saw that an operator may want to act on.
public struct GatewayEvent: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A lineage got a new version.
        case renewed
        /// A version was installed on an endpoint (and verified).
        case deployed
        case deployFailed = "deploy-failed"
        case renewalFailed = "renewal-failed"
        /// A certificate (issued or served) is inside its renewal window and
        /// nothing renewed it: a manual issuer, or renewal keeps failing.
        case expiring
        /// A node serves a certificate other than the version deployed to it.
        case servedMismatch = "served-mismatch"
    }

    /// Assigned by the inventory; increases with every event.
    public package(set) var id: Int64?
    public var kind: Kind
    /// The certificate lineage (name) or ID the event is about.
    public var subject: String
    /// The endpoint concerned, when one is.
    public var endpoint: String?
    /// A JSON object with the kind's details. Recorders put no secrets here:
    /// it goes to hook commands and webhooks.
    public var payload: String
    public var createdAt: Date
    public package(set) var deliveredAt: Date?
    public package(set) var attempts: Int
    /// When delivery is next tried; NULL once delivered.
    public package(set) var nextAttemptAt: Date?
    public package(set) var lastError: String?
    public package(set) var deliveredChannels: String
    /// Events with the same key are recorded once (the first one wins).
    public var dedupeKey: String?

    /// An event whose payload is `payloadJSON`, a JSON object's text.
    public init(kind: Kind, subject: String, endpoint: String? = nil, payloadJSON: String = "{}",
                dedupeKey: String? = nil, createdAt: Date = Date()) {
        self.kind = kind
        self.subject = subject
        self.endpoint = endpoint
        payload = payloadJSON
        self.createdAt = createdAt
        deliveredAt = nil
        attempts = 0
        nextAttemptAt = createdAt
        lastError = nil
        deliveredChannels = "[]"
        self.dedupeKey = dedupeKey
    }

    /// An event whose payload is `payload` encoded as JSON (keys sorted, dates ISO 8601).
    public init<Payload: Encodable>(kind: Kind, subject: String, endpoint: String? = nil, payload: Payload,
                                    dedupeKey: String? = nil, createdAt: Date = Date()) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let text = String(decoding: try encoder.encode(payload), as: UTF8.self)
        self.init(kind: kind, subject: subject, endpoint: endpoint, payloadJSON: text, dedupeKey: dedupeKey,
                  createdAt: createdAt)
    }

    /// The channels that already accepted this event.
    public var channelsDelivered: Set<String> {
        Set((try? JSONDecoder().decode([String].self, from: Data(deliveredChannels.utf8))) ?? [])
    }

    public var isDelivered: Bool { deliveredAt != nil }
}
