import Foundation

/// An ACME server's directory (RFC 8555 §7.1.1), plus `renewalInfo` (RFC 9773).
public struct ACMEDirectory: Sendable {
    public var newNonce: String
    public var newAccount: String
    public var newOrder: String
    public var revokeCert: String
    public var renewalInfo: String?
    public var termsOfService: String?
    public var externalAccountRequired: Bool
}

public struct ACMEIdentifier: Sendable, Codable, Equatable {
    public var type: String
    public var value: String

    public init(type: String = "dns", value: String) {
        self.type = type
        self.value = value
    }
}

/// An order as the CA last described it (RFC 8555 §7.1.3).
public struct ACMEOrder: Sendable {
    public var url: String
    /// pending, ready, processing, valid or invalid.
    public var status: String
    public var identifiers: [ACMEIdentifier]
    public var authorizations: [String]
    public var finalize: String
    public var certificate: String?
    public var error: ACMEProblem?
    /// From the reply's Retry-After, when the CA said how long to wait before polling again.
    public var retryAfter: TimeInterval?
}

public struct ACMEChallenge: Sendable {
    public var type: String
    public var url: String
    public var status: String
    public var token: String?
    public var error: ACMEProblem?
}

public struct ACMEAuthorization: Sendable {
    public var url: String
    public var status: String
    public var identifier: ACMEIdentifier
    public var wildcard: Bool
    public var challenges: [ACMEChallenge]
    public var retryAfter: TimeInterval?
}

/// A renewal window the CA suggests for one certificate (RFC 9773 §4.2).
public struct ACMERenewalInfo: Sendable, Equatable {
    public var start: Date
    public var end: Date
    public var explanationURL: String?
    /// When to ask again (the reply's Retry-After).
    public var retryAfter: TimeInterval?
}

/// Typed reads of one JSON reply that name what is missing or wrong, so a
/// hostile or broken server yields "order …: field 'finalize' is missing",
/// never a crash or a silently wrong value.
struct ACMEJSON {
    let object: [String: Any]
    let url: String
    let what: String

    init(_ body: [UInt8], url: String, what: String) throws {
        self.url = url
        self.what = what
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(body))
        } catch {
            throw IssuanceError.protocolViolation(url: url, problem: "the \(what) is not JSON (\(Self.excerpt(body)))")
        }
        guard let object = parsed as? [String: Any] else {
            throw IssuanceError.protocolViolation(url: url, problem: "the \(what) is not a JSON object")
        }
        self.object = object
    }

    init(object: [String: Any], url: String, what: String) {
        self.object = object
        self.url = url
        self.what = what
    }

    func string(_ key: String) throws -> String {
        guard let value = object[key] else { throw missing(key) }
        guard let text = value as? String, !text.isEmpty else { throw wrong(key, "a non-empty string") }
        return text
    }

    func optionalString(_ key: String) throws -> String? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw wrong(key, "a string") }
        return text
    }

    func stringArray(_ key: String) throws -> [String] {
        guard let value = object[key] else { throw missing(key) }
        guard let array = value as? [String] else { throw wrong(key, "an array of strings") }
        return array
    }

    func objects(_ key: String) throws -> [ACMEJSON] {
        guard let value = object[key] else { throw missing(key) }
        guard let array = value as? [[String: Any]] else { throw wrong(key, "an array of objects") }
        return array.enumerated().map { ACMEJSON(object: $1, url: url, what: "\(what) \(key)[\($0)]") }
    }

    func object(_ key: String) throws -> ACMEJSON {
        guard let value = object[key] else { throw missing(key) }
        guard let nested = value as? [String: Any] else { throw wrong(key, "an object") }
        return ACMEJSON(object: nested, url: url, what: "\(what) \(key)")
    }

    func optionalObject(_ key: String) throws -> ACMEJSON? {
        guard object[key] != nil, !(object[key] is NSNull) else { return nil }
        return try self.object(key)
    }

    func status(_ allowed: Set<String>) throws -> String {
        let status = try string("status")
        guard allowed.contains(status) else {
            throw IssuanceError.protocolViolation(url: url, problem: "the \(what) has status '\(status)', which is not one of "
                                                  + allowed.sorted().joined(separator: ", "))
        }
        return status
    }

    func problem(_ key: String) throws -> ACMEProblem? {
        guard let nested = try optionalObject(key) else { return nil }
        return ACMEProblem.parse(nested.object)
            ?? ACMEProblem(type: "unknown", detail: "problem document without a type", status: nil)
    }

    func identifier(_ key: String) throws -> ACMEIdentifier {
        let nested = try object(key)
        return ACMEIdentifier(type: try nested.string("type"), value: try nested.string("value"))
    }

    private func missing(_ key: String) -> IssuanceError {
        .protocolViolation(url: url, problem: "the \(what) has no '\(key)' field")
    }

    private func wrong(_ key: String, _ expected: String) -> IssuanceError {
        .protocolViolation(url: url, problem: "the \(what)'s '\(key)' field is not \(expected)")
    }

    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(120), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? "empty body" : "starts with \"\(text)\(body.count > 120 ? "…" : "")\""
    }
}

extension ACMEOrder {
    init(_ json: ACMEJSON, url: String, retryAfter: TimeInterval?) throws {
        self.url = url
        status = try json.status(["pending", "ready", "processing", "valid", "invalid"])
        identifiers = try json.objects("identifiers").map {
            ACMEIdentifier(type: try $0.string("type"), value: try $0.string("value"))
        }
        authorizations = try json.stringArray("authorizations")
        finalize = try json.string("finalize")
        certificate = try json.optionalString("certificate")
        error = try json.problem("error")
        self.retryAfter = retryAfter
        if status == "valid" && certificate == nil {
            throw IssuanceError.protocolViolation(url: url, problem: "the order is valid but has no 'certificate' URL")
        }
    }
}

extension ACMEAuthorization {
    init(_ json: ACMEJSON, url: String, retryAfter: TimeInterval?) throws {
        self.url = url
        status = try json.status(["pending", "valid", "invalid", "deactivated", "expired", "revoked"])
        identifier = try json.identifier("identifier")
        wildcard = json.object["wildcard"] as? Bool ?? false
        challenges = try json.objects("challenges").map { try ACMEChallenge($0) }
        self.retryAfter = retryAfter
    }
}

extension ACMEChallenge {
    init(_ json: ACMEJSON) throws {
        type = try json.string("type")
        url = try json.string("url")
        status = try json.status(["pending", "processing", "valid", "invalid"])
        token = try json.optionalString("token")
        error = try json.problem("error")
    }
}
