import OGPluginKit

/// One authenticated conversation with a BIG-IP's iControl REST API for the
/// length of one plugin call: logs in for a token (`/mgmt/shared/authn/login`,
/// the password filled in by the host from a `{{og:password}}` reference, so it
/// never reaches the plugin), sends every request with `X-F5-Auth-Token`, and
/// deletes the token in `close()`.
///
/// In a dry run (`recorder` set) changing requests are not sent but described
/// to the recorder; reads still go to the device, because the plan is built
/// from what it holds.
final class ICRSession {
    let host: HostServices
    private var token: String?
    /// The open transaction, sent as X-F5-REST-Coordination-Id on changing requests.
    private(set) var transactionID: String?
    var recorder: ((String) -> Void)?

    init(host: HostServices) {
        self.host = host
    }

    static func open(_ host: HostServices) throws -> ICRSession {
        let session = ICRSession(host: host)
        try session.login()
        return session
    }

    /// Asks for a token with the endpoint's own credentials (loginProviderName tmos: local accounts and the
    /// device's configured remote authentication alike).
    private func login() throws {
        let template = #"{"username":"{{og:user}}","password":"{{og:password}}","loginProviderName":"tmos"}"#
        let response = try host.http(HTTPRequest(method: "POST", path: "/mgmt/shared/authn/login",
                                                 headers: [HTTPHeader("Content-Type", "application/json")],
                                                 body: Array(template.utf8), bodyKind: .template))
        guard response.status == 200 else {
            let status: Status = response.status == 401 || response.status == 403 ? .auth : .connect
            throw PluginError(status: status, field: status == .auth ? "password" : nil,
                              message: "iControl REST login as the endpoint's user was refused (HTTP \(response.status)): "
                                  + Self.message(of: response) + "; the account needs the Administrator role")
        }
        let body = try Self.json(response, what: "the login reply")
        guard let token = body["token"]?["token"]?.stringValue, !token.isEmpty,
              token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw PluginError(status: .parse, message: "the login reply carries no usable token.token")
        }
        self.token = token
    }

    /// Deletes the token so it cannot be reused; failures are only logged (the token expires on its own).
    func close() {
        guard let token else { return }
        defer { self.token = nil }
        do {
            // The token authenticates its own deletion.
            let response = try send("DELETE", "/mgmt/shared/authz/tokens/\(token)", body: nil, changes: false)
            if response.status != 200 { host.log(.warning, "could not delete the iControl REST token (HTTP \(response.status))") }
        } catch {
            host.log(.warning, "could not delete the iControl REST token: \(error)")
        }
    }

    // MARK: Requests

    /// GET `path` and parse the JSON reply; a non-200 answer throws with F5's message.
    func get(_ path: String) throws -> JSON {
        let response = try send("GET", path, body: nil, changes: false)
        try Self.requireSuccess(response, "GET \(path)")
        return try Self.json(response, what: "GET \(path)")
    }

    /// GET that answers nil for 404.
    func getIfPresent(_ path: String) throws -> JSON? {
        let response = try send("GET", path, body: nil, changes: false)
        if response.status == 404 { return nil }
        try Self.requireSuccess(response, "GET \(path)")
        return try Self.json(response, what: "GET \(path)")
    }

    /// A changing request (POST/PATCH/DELETE) inside the open transaction, if any.
    @discardableResult
    func change(_ method: String, _ path: String, _ body: JSON?, passphrase: Bool = false) throws -> JSON? {
        if let recorder {
            recorder("\(method) \(path)\(transactionID == nil ? "" : " [in the transaction]")\(body.map { " " + Self.elided($0) } ?? "")")
            return nil
        }
        let response = try send(method, path, body: body, changes: true, template: passphrase)
        try Self.requireSuccess(response, "\(method) \(path)")
        return response.body.isEmpty ? nil : try? JSON.parse(response.body)
    }

    /// Uploads host-rendered content as /var/config/rest/downloads/`name`, in Content-Range pieces.
    func upload(_ content: UploadContent, as name: String) throws {
        let path = "/mgmt/shared/file-transfer/uploads/\(name)"
        if let recorder {
            recorder("POST \(path) (\(Self.describe(content)), sent by the host in Content-Range pieces; not shown)")
            return
        }
        let response = try host.upload(content, request: HTTPRequest(method: "POST", path: path, headers: authHeaders()),
                                       chunkSize: 512 * 1024)
        try Self.requireSuccess(response, "upload of \(name)")
    }

    // MARK: Transactions

    /// Opens a transaction: until `commit`, changing requests are queued by the device, not applied.
    func beginTransaction() throws {
        if let recorder {
            recorder("POST /mgmt/tm/transaction {} (open a transaction)")
            transactionID = "(transaction)"
            return
        }
        let response = try send("POST", "/mgmt/tm/transaction", body: .object([]), changes: false)
        try Self.requireSuccess(response, "POST /mgmt/tm/transaction")
        let body = try Self.json(response, what: "the new transaction")
        guard let id = body["transId"]?.int64Value, id > 0 else {
            throw PluginError(status: .parse, message: "the device opened a transaction without a numeric transId")
        }
        transactionID = String(id)
    }

    /// Applies every queued change at once; on failure the device applied none of them.
    func commit() throws {
        guard let id = transactionID else { return }
        transactionID = nil
        if let recorder {
            recorder("PATCH /mgmt/tm/transaction/\(id) {\"state\":\"VALIDATING\"} (commit: all changes or none)")
            return
        }
        let response = try send("PATCH", "/mgmt/tm/transaction/\(id)", body: .object([("state", .string("VALIDATING"))]), changes: false)
        guard response.status == 200 else {
            throw PluginError(status: .conflict, message: "the device refused the transaction, so nothing changed: " + Self.message(of: response))
        }
        let state = (try? JSON.parse(response.body))?["state"]?.stringValue ?? ""
        guard state == "COMPLETED" else {
            throw PluginError(status: .conflict, message: "the transaction ended in state '\(state)' instead of COMPLETED")
        }
    }

    /// Drops an open transaction after a failure before commit (nothing was applied).
    func abandonTransaction() {
        guard let id = transactionID else { return }
        transactionID = nil
        if recorder == nil { _ = try? send("DELETE", "/mgmt/tm/transaction/\(id)", body: nil, changes: false) }
    }

    // MARK: Plumbing

    private func authHeaders() -> [HTTPHeader] {
        token.map { [HTTPHeader("X-F5-Auth-Token", $0)] } ?? []
    }

    private func send(_ method: String, _ path: String, body: JSON?, changes: Bool, template: Bool = false) throws -> HTTPResponse {
        var headers = authHeaders()
        if body != nil { headers.append(HTTPHeader("Content-Type", "application/json")) }
        if changes, let transactionID { headers.append(HTTPHeader("X-F5-REST-Coordination-Id", transactionID)) }
        return try host.http(HTTPRequest(method: method, path: path, headers: headers, body: body?.bytes ?? [],
                                         bodyKind: template ? .template : .literal))
    }

    static func requireSuccess(_ response: HTTPResponse, _ what: String) throws {
        guard (200..<300).contains(response.status) else {
            let status: Status = response.status == 401 ? .auth : response.status == 404 ? .notFound : .conflict
            throw PluginError(status: status, message: "\(what) failed (HTTP \(response.status)): \(message(of: response))")
        }
    }

    static func json(_ response: HTTPResponse, what: String) throws -> JSON {
        do {
            return try JSON.parse(response.body)
        } catch {
            throw PluginError(status: .parse, message: "\(what) is not JSON the plugin can read: \(error)")
        }
    }

    /// F5's error text ("message" of the reply), cut to one printable line; the status alone when there is none.
    static func message(of response: HTTPResponse) -> String {
        let text = (try? JSON.parse(response.body))?["message"]?.stringValue ?? ""
        let line = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) }.prefix(400))
        return line.isEmpty ? "no error message in the reply" : line
    }

    /// A request body for a dry-run listing, with every passphrase elided.
    static func elided(_ body: JSON) -> String {
        guard case .object(let members) = body else { return body.description }
        return JSON.object(members.map { $0.0 == "passphrase" || $0.0 == "password" ? ($0.0, .string("(elided)")) : $0 }).description
    }

    static func describe(_ content: UploadContent) -> String {
        switch content {
        case .privateKeyPEM: return "the private key, PEM"
        case .certificatePEM: return "the certificate, PEM"
        case .chainPEM: return "the intermediates, PEM"
        case .fullchainPEM: return "certificate and intermediates, PEM"
        case .pkcs12: return "key and certificates as PKCS#12"
        }
    }
}
