/// Why an HTTP exchange failed. Every description names the URL (without
/// credentials or query), what went wrong and what the operator can do.
public enum HTTPError: Error, Equatable, CustomStringConvertible {
    /// The server (or its name) could not be reached.
    case couldNotConnect(url: String, reason: String)
    /// The server's certificate is not trusted or does not name the host.
    case identityRejected(url: String, reason: String)
    /// The TLS handshake failed for another reason (protocol, client certificate...).
    case tlsFailed(url: String, reason: String)
    /// The exchange did not finish in time.
    case timedOut(url: String, after: Duration)
    /// The configured proxy could not be reached or refused the request.
    case proxyFailed(proxy: String, url: String, reason: String)
    /// The connection broke or the answer could not be read.
    case transferFailed(url: String, reason: String)
    /// The server answered with a status the caller did not accept.
    case unexpectedStatus(url: String, status: Int, excerpt: String)
    /// A request or client setting is malformed.
    case invalidArgument(field: String, problem: String)

    public var description: String {
        switch self {
        case .couldNotConnect(let url, let reason):
            return "\(url): could not connect: \(reason); check the host name, the port and that the service is running"
        case .identityRejected(let url, let reason):
            return "\(url): the server's TLS certificate was rejected: \(reason). "
                + "Add the CA that issued it as a trust anchor, or, only for a lab endpoint, use an insecure connection type"
        case .tlsFailed(let url, let reason):
            return "\(url): TLS handshake failed: \(reason); if the server requires a client certificate, configure one"
        case .timedOut(let url, let after):
            return "\(url): no complete answer within \(after.humanReadable); raise the timeout or find out why the server is slow"
        case .proxyFailed(let proxy, let url, let reason):
            return "\(url): the proxy \(proxy) failed: \(reason); check `og-host proxy get` and that the proxy is running"
        case .transferFailed(let url, let reason):
            return "\(url): the exchange failed: \(reason)"
        case .unexpectedStatus(let url, let status, let excerpt):
            return "\(url): the server answered HTTP \(status)" + (excerpt.isEmpty ? "" : ": \(excerpt)")
        case .invalidArgument(let field, let problem):
            return "\(field): \(problem)"
        }
    }

    /// True when no connection to the server could be made, so nothing was sent.
    var isConnectFailure: Bool {
        if case .couldNotConnect = self { return true }
        return false
    }

    /// The start of a response body, fit for one line of an error message.
    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingTrailingWhitespace
    }
}
