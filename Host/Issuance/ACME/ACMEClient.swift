import Foundation
import OGConnections
import OGMaterial

/// One ACME account talking to one CA (RFC 8555) over the host's one HTTP
/// client. Every request after the directory is a JWS signed with the account
/// key through the material layer; nonces come from `newNonce` and from each
/// reply's Replay-Nonce; a `badNonce` rejection is retried with the fresh
/// nonce that came with it.
///
/// Not thread-safe: one client belongs to one job.
public final class ACMEClient {
    public let directoryURL: String
    public let accountKey: PrivateKey
    /// The account's URL (`kid`), once registered or looked up.
    public var accountURL: String?
    /// Receives one line per exchange (method, URL, status); never payloads or keys.
    public var log: (String) -> Void = { _ in }
    /// How many `badNonce` rejections in a row one request survives.
    public var nonceRetries = 10
    /// The longest Retry-After of a 503 reply that is waited out (up to 3 times) instead of reported.
    public var maximumServerWait: TimeInterval = 30
    var sleep: (TimeInterval) -> Void = { Thread.sleep(forTimeInterval: $0) }

    private let http: HTTPClient
    private var nonces: [String] = []
    private var cachedDirectory: ACMEDirectory?

    public init(directoryURL: String, accountKey: PrivateKey, accountURL: String? = nil, http: HTTPClient) throws {
        guard directoryURL.lowercased().hasPrefix("https://") || directoryURL.lowercased().hasPrefix("http://") else {
            throw IssuanceError.invalidArgument(field: "field `directory`", problem: "'\(directoryURL)' is not an https:// URL")
        }
        _ = try Self.material { try accountKey.jwsAlgorithm }
        self.directoryURL = directoryURL
        self.accountKey = accountKey
        self.accountURL = accountURL
        self.http = http
    }

    // MARK: - Directory and nonces

    public func directory() throws -> ACMEDirectory {
        if let cachedDirectory { return cachedDirectory }
        let response = try send(HTTPRequest(method: "GET", url: directoryURL))
        guard response.isSuccess else { throw Self.failure(response, url: directoryURL) }
        let json = try ACMEJSON(response.body, url: directoryURL, what: "directory")
        let meta = try json.optionalObject("meta")
        let directory = ACMEDirectory(
            newNonce: try json.string("newNonce"), newAccount: try json.string("newAccount"),
            newOrder: try json.string("newOrder"), revokeCert: try json.string("revokeCert"),
            renewalInfo: try json.optionalString("renewalInfo"),
            termsOfService: try meta?.optionalString("termsOfService"),
            externalAccountRequired: meta?.object["externalAccountRequired"] as? Bool ?? false)
        cachedDirectory = directory
        return directory
    }

    private func nonce() throws -> String {
        if let nonce = nonces.popLast() { return nonce }
        let url = try directory().newNonce
        let response = try send(HTTPRequest(method: "HEAD", url: url))
        guard response.isSuccess, let nonce = response.header("Replay-Nonce"), !nonce.isEmpty else {
            throw IssuanceError.protocolViolation(url: url, problem: "newNonce answered \(response.status) without a Replay-Nonce header")
        }
        return nonce
    }

    // MARK: - Account

    /// Registers the account (or finds the existing one for this key) and
    /// returns its URL. `externalAccount` binds it to the CA's key identifier
    /// with an HS256 JWS over the account's public JWK (RFC 8555 §7.3.4).
    @discardableResult
    public func register(contact: [String], agreeToTerms: Bool,
                         externalAccount: (keyID: String, hmacKey: [UInt8])?) throws -> String {
        let directory = try directory()
        if directory.externalAccountRequired && externalAccount == nil {
            throw IssuanceError.invalidArgument(field: "field `eab-kid`", problem: "the CA requires External Account Binding; "
                                                + "give field `eab-kid` and field `eab-hmac-key` from your CA account")
        }
        var payload = "{\"termsOfServiceAgreed\":\(agreeToTerms)"
        if !contact.isEmpty { payload += ",\"contact\":" + Self.jsonArray(contact) }
        if let externalAccount {
            let protected = "{\"alg\":\"HS256\",\"kid\":\(Self.jsonString(externalAccount.keyID)),"
                + "\"url\":\(Self.jsonString(directory.newAccount))}"
            let jwk = try Self.material { try accountKey.publicJWKJSON() }
            let signingInput = Base64URL.encode(protected) + "." + Base64URL.encode(jwk)
            let mac = try Self.material { try MessageAuthentication.hmac(key: externalAccount.hmacKey, data: Array(signingInput.utf8)) }
            payload += ",\"externalAccountBinding\":{\"protected\":\"\(Base64URL.encode(protected))\","
                + "\"payload\":\"\(Base64URL.encode(jwk))\",\"signature\":\"\(Base64URL.encode(mac))\"}"
        }
        payload += "}"
        let response = try post(directory.newAccount, payload: payload, signWithJWK: true)
        guard let location = response.header("Location"), !location.isEmpty else {
            throw IssuanceError.protocolViolation(url: directory.newAccount, problem: "the account reply has no Location header")
        }
        let json = try ACMEJSON(response.body, url: directory.newAccount, what: "account")
        let status = try json.string("status")
        guard status == "valid" else {
            throw IssuanceError.protocolViolation(url: location, problem: "the account's status is '\(status)', not valid")
        }
        accountURL = location
        return location
    }

    /// `SHA-256 thumbprint`-based key authorization for a challenge token (RFC 8555 §8.1).
    public func keyAuthorization(token: String) throws -> String {
        token + "." + (try Self.material { try accountKey.jwkThumbprint() })
    }

    // MARK: - Orders

    /// Creates an order; `replaces` is the ARI certificate identifier of the certificate this one renews (RFC 9773 §5).
    public func newOrder(_ identifiers: [ACMEIdentifier], replaces: String? = nil) throws -> ACMEOrder {
        let url = try directory().newOrder
        var payload = "{\"identifiers\":[" + identifiers.map {
            "{\"type\":\(Self.jsonString($0.type)),\"value\":\(Self.jsonString($0.value))}"
        }.joined(separator: ",") + "]"
        if let replaces { payload += ",\"replaces\":\(Self.jsonString(replaces))" }
        payload += "}"
        let response = try post(url, payload: payload)
        guard let location = response.header("Location"), !location.isEmpty else {
            throw IssuanceError.protocolViolation(url: url, problem: "the new order's reply has no Location header")
        }
        return try ACMEOrder(try ACMEJSON(response.body, url: location, what: "order"), url: location,
                             retryAfter: Self.retryAfter(response))
    }

    public func order(_ url: String) throws -> ACMEOrder {
        let response = try post(url, payload: nil)
        return try ACMEOrder(try ACMEJSON(response.body, url: url, what: "order"), url: url, retryAfter: Self.retryAfter(response))
    }

    public func authorization(_ url: String) throws -> ACMEAuthorization {
        let response = try post(url, payload: nil)
        return try ACMEAuthorization(try ACMEJSON(response.body, url: url, what: "authorization"), url: url,
                                     retryAfter: Self.retryAfter(response))
    }

    /// Tells the CA the challenge is ready to be validated.
    @discardableResult
    public func respond(to challengeURL: String) throws -> ACMEChallenge {
        let response = try post(challengeURL, payload: "{}")
        return try ACMEChallenge(try ACMEJSON(response.body, url: challengeURL, what: "challenge"))
    }

    public func finalize(_ order: ACMEOrder, csrDER: [UInt8]) throws -> ACMEOrder {
        let response = try post(order.finalize, payload: "{\"csr\":\"\(Base64URL.encode(csrDER))\"}")
        return try ACMEOrder(try ACMEJSON(response.body, url: order.url, what: "order"), url: order.url,
                             retryAfter: Self.retryAfter(response))
    }

    /// Downloads the certificate chain (PEM, leaf first). When `preferredIssuer`
    /// names the common name of the top certificate of one of the alternate
    /// chains the CA offers (Link rel="alternate"), that chain is returned.
    public func certificateChain(_ url: String, preferredIssuer: String?) throws -> [Certificate] {
        let response = try post(url, payload: nil, accept: "application/pem-certificate-chain")
        let primary = try Self.chain(response.body, url: url)
        guard let preferredIssuer, !Self.chainEnds(primary, at: preferredIssuer) else { return primary }
        for alternate in Self.links(response, relation: "alternate") {
            let reply = try post(alternate, payload: nil, accept: "application/pem-certificate-chain")
            let chain = try Self.chain(reply.body, url: alternate)
            if Self.chainEnds(chain, at: preferredIssuer) { return chain }
        }
        log("no chain ends at '\(preferredIssuer)'; using the CA's default chain")
        return primary
    }

    /// Revokes a certificate issued to this account (RFC 8555 §7.6). `reason` is an RFC 5280 CRLReason code.
    public func revoke(certificateDER: [UInt8], reason: Int) throws {
        let url = try directory().revokeCert
        _ = try post(url, payload: "{\"certificate\":\"\(Base64URL.encode(certificateDER))\",\"reason\":\(reason)}")
    }

    /// The renewal window for `certificate` (RFC 9773), or nil when the CA offers no renewalInfo.
    public func renewalInfo(for certificate: Certificate) throws -> ACMERenewalInfo? {
        guard let base = try directory().renewalInfo else { return nil }
        let identifier = try Self.renewalIdentifier(certificate)
        let url = base.hasSuffix("/") ? base + identifier : base + "/" + identifier
        let response = try send(HTTPRequest(method: "GET", url: url))
        guard response.isSuccess else { throw Self.failure(response, url: url) }
        let json = try ACMEJSON(response.body, url: url, what: "renewal information")
        let window = try json.object("suggestedWindow")
        guard let start = Self.timestamp(try window.string("start")), let end = Self.timestamp(try window.string("end")) else {
            throw IssuanceError.protocolViolation(url: url, problem: "the suggestedWindow's start or end is not an RFC 3339 time")
        }
        guard start < end else {
            throw IssuanceError.protocolViolation(url: url, problem: "the suggestedWindow ends before it starts")
        }
        return ACMERenewalInfo(start: start, end: end, explanationURL: try json.optionalString("explanationURL"),
                               retryAfter: Self.retryAfter(response))
    }

    /// `base64url(AKI keyIdentifier) "." base64url(serial DER content)` (RFC 9773 §4.1).
    public static func renewalIdentifier(_ certificate: Certificate) throws -> String {
        guard let keyIdentifier = certificate.authorityKeyIdentifier else {
            throw IssuanceError.invalidArgument(field: "certificate", problem: "has no Authority Key Identifier; ARI cannot name it")
        }
        return Base64URL.encode(keyIdentifier) + "." + Base64URL.encode(certificate.serialDERContent)
    }

    // MARK: - Transport

    /// Sends a JWS POST (a POST-as-GET when `payload` is nil) and returns the
    /// successful reply; problems become `IssuanceError.problem`.
    func post(_ url: String, payload: String?, signWithJWK: Bool = false, accept: String? = nil) throws -> HTTPResponse {
        var rejectedNonces = 0
        var busyRetries = 0
        while true {
            let body = try jws(url: url, payload: payload, signWithJWK: signWithJWK)
            var headers = [(name: "Content-Type", value: "application/jose+json")]
            if let accept { headers.append((name: "Accept", value: accept)) }
            let response = try send(HTTPRequest(method: "POST", url: url, headers: headers, body: Array(body.utf8)))
            if response.isSuccess { return response }
            let error = Self.failure(response, url: url)
            if error.problemType == "badNonce" && rejectedNonces < nonceRetries {
                rejectedNonces += 1
                log("badNonce from \(url); retrying with the fresh nonce (\(rejectedNonces))")
                continue
            }
            // A CA that is briefly unavailable says when to come back; a short wait is worth it, a long one is the operator's call.
            if response.status == 503, let wait = Self.retryAfter(response), wait <= maximumServerWait, busyRetries < 3 {
                busyRetries += 1
                log("\(url) is unavailable (503); retrying after \(Int(wait)) s as asked")
                sleep(wait)
                continue
            }
            throw error
        }
    }

    private func jws(url: String, payload: String?, signWithJWK: Bool) throws -> String {
        let algorithm = try Self.material { try accountKey.jwsAlgorithm }
        var protected = "{\"alg\":\"\(algorithm)\",\"nonce\":\(Self.jsonString(try nonce())),\"url\":\(Self.jsonString(url)),"
        if signWithJWK {
            protected += "\"jwk\":" + (try Self.material { try accountKey.publicJWKJSON() }) + "}"
        } else {
            guard let accountURL else {
                throw IssuanceError.invalidArgument(field: "account", problem: "is not registered yet; register before ordering")
            }
            protected += "\"kid\":\(Self.jsonString(accountURL))}"
        }
        let encodedPayload = payload.map { Base64URL.encode($0) } ?? ""
        let signingInput = Base64URL.encode(protected) + "." + encodedPayload
        let signature = try Self.material { try accountKey.signJWS(Array(signingInput.utf8)) }
        return "{\"protected\":\"\(Base64URL.encode(protected))\",\"payload\":\"\(encodedPayload)\","
            + "\"signature\":\"\(Base64URL.encode(signature))\"}"
    }

    private func send(_ request: HTTPRequest) throws -> HTTPResponse {
        let response: HTTPResponse
        do {
            response = try http.send(request)
        } catch {
            throw IssuanceError.transport(url: request.url, reason: "\(error)")
        }
        if let nonce = response.header("Replay-Nonce"), !nonce.isEmpty { nonces.append(nonce) }
        log("\(request.method) \(request.url) -> \(response.status)")
        return response
    }

    static func failure(_ response: HTTPResponse, url: String) -> IssuanceError {
        let retryAfter = retryAfter(response)
        if let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
           var problem = ACMEProblem.parse(object, retryAfter: retryAfter) {
            problem.status = problem.status ?? response.status
            return .problem(problem, url: url)
        }
        return .protocolViolation(url: url, problem: "HTTP \(response.status) without a problem document ("
                                  + ACMEJSON.excerpt(response.body) + ")")
    }

    /// Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3).
    static func retryAfter(_ response: HTTPResponse) -> TimeInterval? {
        guard let value = response.header("Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Int(value) { return TimeInterval(max(0, seconds)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }

    static func links(_ response: HTTPResponse, relation: String) -> [String] {
        response.headers.filter { $0.name.lowercased() == "link" }.flatMap { $0.value.split(separator: ",") }.compactMap { link in
            let parts = link.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let target = parts.first, target.hasPrefix("<"), target.hasSuffix(">"),
                  parts.dropFirst().contains(where: { $0.replacingOccurrences(of: "\"", with: "") == "rel=\(relation)" })
            else { return nil }
            return String(target.dropFirst().dropLast())
        }
    }

    private static func chain(_ body: [UInt8], url: String) throws -> [Certificate] {
        let certificates: [Certificate]
        do {
            certificates = try Certificate.parseAll(pem: String(decoding: body, as: UTF8.self), what: "certificate chain from \(url)")
        } catch {
            throw IssuanceError.protocolViolation(url: url, problem: "the certificate download is not a PEM chain: \(error)")
        }
        guard !certificates.isEmpty else {
            throw IssuanceError.protocolViolation(url: url, problem: "the certificate download holds no certificate")
        }
        return certificates
    }

    private static func chainEnds(_ chain: [Certificate], at issuerName: String) -> Bool {
        guard let top = chain.last else { return false }
        return top.issuerCommonName == issuerName || top.commonName == issuerName
    }

    static func timestamp(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    static func jsonString(_ text: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        let array = data.map { String(decoding: $0, as: UTF8.self) } ?? "[\"\"]"
        return String(array.dropFirst().dropLast())
    }

    static func jsonArray(_ texts: [String]) -> String {
        "[" + texts.map(jsonString).joined(separator: ",") + "]"
    }

    static func material<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as MaterialError {
            throw IssuanceError.invalidArgument(field: "account key", problem: "\(error)")
        }
    }
}
