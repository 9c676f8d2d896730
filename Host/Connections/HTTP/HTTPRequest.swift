/// One HTTP exchange to send with `HTTPClient.send`.
public struct HTTPRequest: Sendable {
    /// Upper-case method name: GET, HEAD, POST, PUT, DELETE, PATCH, ...
    public var method: String
    /// Absolute `http://` or `https://` URL.
    public var url: String
    /// Sent in this order; a header named here replaces libcurl's default of the same name.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The whole exchange (connect, send, receive) must finish within this.
    public var timeout: Duration

    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [],
                body: [UInt8] = [], timeout: Duration = .seconds(60)) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    /// GET, HEAD, PUT, DELETE and OPTIONS may be sent again after a failed
    /// connect without changing the outcome (RFC 9110 §9.2.2).
    public var isIdempotent: Bool {
        ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(method.uppercased())
    }
}
