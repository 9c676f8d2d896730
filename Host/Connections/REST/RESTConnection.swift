import Foundation
import OGBasics
import OGMaterial

/// A connection to an appliance that is managed only through its HTTPS REST
/// API (`rest`, or `rest_insecure` without certificate verification).
///
/// There is no shell and no file system on the other side: `run` and the file
/// operations throw `ConnectionError.notSupported`; plugins use `send` (the
/// host's http service). Every request goes to `https://host:port` with HTTP
/// Basic authentication from the endpoint's credential.
public final class RESTConnection: Connection, @unchecked Sendable {
    // `client` serialises its own requests; `isClosed` is guarded by `lock`.
    private let lock = Locked()
    private var isClosed = false
    private let client: HTTPClient
    public let type: ConnectionType
    /// `https://host:port`, without a trailing slash.
    public let baseURL: String
    /// Appliances answer file and command requests through their API, so the
    /// shell quoting of `.posix` is never used.
    public var platform: Platform { .posix }

    /// Opens (lazily: the first request connects) a REST connection. `additionalAnchors`
    /// are trusted besides the system store (ignored by `rest_insecure`);
    /// `proxy` carries every request when given.
    public init(spec: ConnectionSpec, additionalAnchors: [Certificate] = [], proxy: HTTPProxy? = nil,
                clientIdentity: HTTPClientIdentity? = nil) throws {
        guard spec.type == .rest || spec.type == .restInsecure else {
            throw ConnectionError.invalidArgument(field: "field `connection_type`",
                                                  problem: "\(spec.type.rawValue) is not a REST connection type; use rest or rest_insecure")
        }
        try spec.validate()
        let login: HTTPBasicCredentials?
        switch spec.authentication {
        case .none:
            login = nil
        case .password(let password):
            guard !spec.user.isEmpty else {
                throw ConnectionError.invalidArgument(field: "field `user`", problem: "is required with a password for connection type \(spec.type.rawValue)")
            }
            login = HTTPBasicCredentials(user: spec.user, password: password)
        case .privateKey:
            throw ConnectionError.invalidArgument(field: "field `key`",
                                                  problem: "connection type \(spec.type.rawValue) logs in with a user and password, not an SSH key")
        }
        type = spec.type
        let host = spec.host.contains(":") ? "[\(spec.host)]" : spec.host
        baseURL = "https://\(host):\(spec.effectivePort ?? 443)"
        let configuration = HTTPClientConfiguration(
            trust: spec.type == .restInsecure ? .insecure : .verify(additionalAnchors: additionalAnchors),
            clientIdentity: clientIdentity, proxy: proxy, basicAuthentication: login, connectTimeout: spec.connectTimeout)
        do {
            client = try HTTPClient(configuration)
        } catch HTTPError.invalidArgument(let field, let problem) {
            throw ConnectionError.invalidArgument(field: field, problem: problem)
        }
    }

    /// True for `rest_insecure`: whatever certificate the appliance shows is accepted, which audits must say.
    public var skipsCertificateVerification: Bool { type == .restInsecure }

    /// The full URL of `path` (which starts with "/") on this appliance.
    public func url(_ path: String) -> String { baseURL + (path.hasPrefix("/") ? path : "/" + path) }

    /// Sends one request to `path` on the appliance and returns its answer, whatever the status.
    public func send(method: String, path: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                     timeout: Duration = .seconds(60)) throws -> HTTPResponse {
        try requireOpen()
        return try client.send(HTTPRequest(method: method, url: url(path), headers: headers, body: body, timeout: timeout))
    }

    /// Uploads `bytes` to `path` in pieces with `Content-Range` (see `HTTPClient.uploadInChunks`).
    @discardableResult
    public func upload(_ bytes: [UInt8], to path: String, chunkSize: Int = 512 * 1024, method: String = "POST",
                       headers: [(name: String, value: String)] = [], returningFailure: Bool = false) throws -> HTTPResponse {
        try requireOpen()
        return try client.uploadInChunks(url(path), bytes: bytes, chunkSize: chunkSize, method: method, headers: headers,
                                         returningFailure: returningFailure)
    }

    public func run(_ argv: [String], standardInput: [UInt8], timeout: Duration, privileged: Bool) throws -> CommandResult {
        throw unsupported("run commands")
    }

    public func readFile(_ path: String) throws -> [UInt8] { throw unsupported("read files") }

    public func writeFileAtomically(_ path: String, contents: [UInt8], mode: UInt32?) throws { throw unsupported("write files") }

    public func stat(_ path: String) throws -> FileStatus { throw unsupported("inspect files") }

    public func listDirectory(_ path: String) throws -> [String] { throw unsupported("list directories") }

    public func makeDirectory(_ path: String, mode: UInt32) throws { throw unsupported("create directories") }

    public func remove(_ path: String) throws { throw unsupported("remove files") }

    public func close() {
        lock.withLock { isClosed = true }
    }

    private func requireOpen() throws {
        if lock.withLock({ isClosed }) {
            throw ConnectionError.notSupported("the \(type.rawValue) connection to \(baseURL) is closed; open a new one")
        }
    }

    private func unsupported(_ what: String) -> ConnectionError {
        .notSupported("connection type \(type.rawValue) cannot \(what): the appliance is reached only through its REST API; "
                      + "the plugin must use HTTP requests instead")
    }
}
