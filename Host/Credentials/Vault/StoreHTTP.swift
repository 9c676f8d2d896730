/// One request an external credential store client makes. The clients build
/// these and hand them to a `StoreHTTP.Send` that the host backs with its HTTP
/// client, so they can be driven without a network in tests of their logic.
public enum StoreHTTP {
    public struct Request: Sendable {
        public var method: String
        public var url: String
        /// Header values may carry tokens: whoever sends must not log them.
        public var headers: [(name: String, value: Secret)]
        public var body: Secret?

        public init(method: String, url: String, headers: [(name: String, value: Secret)] = [], body: Secret? = nil) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
        }
    }

    public struct Response: Sendable {
        public var status: Int
        /// Kept as a Secret: a vault's answer is the secret.
        public var body: Secret

        public init(status: Int, body: Secret) {
            self.status = status
            self.body = body
        }
    }

    /// Sends one request; throws when no HTTP answer came back (unreachable,
    /// TLS refused, timed out) with a message that names the URL only.
    public typealias Send = @Sendable (Request) throws -> Response
}
