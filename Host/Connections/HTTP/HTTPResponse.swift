/// What the server answered. Any status is a response; deciding which are
/// errors is the caller's business (see `requireSuccess`).
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Headers of the final response (after any 100 Continue), in arrival order.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header of that name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body decoded as UTF-8 (invalid sequences replaced).
    public var text: String { String(decoding: body, as: UTF8.self) }

    public var isSuccess: Bool { (200..<300).contains(status) }

    /// Returns self for a 2xx status, otherwise throws `HTTPError.unexpectedStatus`.
    @discardableResult
    public func requireSuccess(url: String) throws -> HTTPResponse {
        guard isSuccess else {
            throw HTTPError.unexpectedStatus(url: URLRedaction.redacted(url), status: status, excerpt: HTTPError.excerpt(body))
        }
        return self
    }
}
