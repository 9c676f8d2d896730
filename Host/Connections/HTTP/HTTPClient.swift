import CCurl
import Foundation
import OGMaterial
import OGBasics

/// The one HTTP(S) client of og-host, over libcurl.
///
/// A client keeps one libcurl handle, so consecutive requests to the same
/// server reuse its connection (keep-alive) and TLS session. Requests from
/// several threads are sent one after another.
public final class HTTPClient: @unchecked Sendable {
    // `handle`, `errorBuffer` and `caBundle` are touched only while `lock` is held,
    // which makes the class safe to share between threads.
    private let lock = Locked()
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    /// The system CA bundle followed by the extra anchors; nil = libcurl's defaults.
    private let caBundle: [UInt8]?
    public let configuration: HTTPClientConfiguration

    public init(_ configuration: HTTPClientConfiguration = HTTPClientConfiguration()) throws {
        try configuration.proxy?.validate()
        guard configuration.connectTimeout > .zero else {
            throw HTTPError.invalidArgument(field: "connect timeout", problem: "must be more than zero")
        }
        guard let handle = og_curl_easy_init() else {
            let reason = og_curl_load_error().map { String(cString: $0) } ?? "libcurl could not create a handle (out of memory?)"
            throw HTTPError.transferFailed(url: "(none)", reason: reason)
        }
        self.handle = handle
        self.configuration = configuration
        if case .verify(let anchors) = configuration.trust, !anchors.isEmpty {
            caBundle = SystemTrustStore.standard.bundleBytes() + Array(anchors.map(\.pem).joined(separator: "\n").utf8) + [0x0A]
        } else {
            caBundle = nil
        }
    }

    deinit {
        og_curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends `request` and returns whatever the server answered, whatever its
    /// status. An idempotent request whose connection cannot be made is tried
    /// up to `configuration.connectAttempts` times.
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        try validate(request)
        return try lock.withLock {
            let attempts = request.isIdempotent ? max(1, configuration.connectAttempts) : 1
            var delay = configuration.retryDelay
            for attempt in 1... {
                do {
                    return try perform(request)
                } catch let error as HTTPError where error.isConnectFailure && attempt < attempts {
                    Thread.sleep(forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
                    delay *= 2
                }
            }
            fatalError("unreachable: the loop returns or throws")
        }
    }

    private func validate(_ request: HTTPRequest) throws {
        let lower = request.url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else {
            throw HTTPError.invalidArgument(field: "url", problem: "\"\(URLRedaction.redacted(request.url))\" is not an http:// or https:// URL")
        }
        guard !request.method.isEmpty, request.method.allSatisfy({ $0.isLetter && $0.isASCII }) else {
            throw HTTPError.invalidArgument(field: "method", problem: "\"\(request.method)\" is not an HTTP method")
        }
        guard request.timeout > .zero else {
            throw HTTPError.invalidArgument(field: "timeout", problem: "must be more than zero")
        }
        for header in request.headers {
            let malformedName = header.name.isEmpty || header.name.contains { $0 == ":" || $0.isWhitespace }
            if malformedName || header.value.contains(where: \.isNewline) {
                throw HTTPError.invalidArgument(field: "header \"\(header.name)\"",
                                                problem: "a name must be a non-empty token without ':' and a value must be one line")
            }
        }
    }

    // Called with `lock` held.
    private func perform(_ request: HTTPRequest) throws -> HTTPResponse {
        og_curl_easy_reset(handle)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let collector = ResponseCollector()
        let collectorPointer = Unmanaged.passRetained(collector)
        defer { collectorPointer.release() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { og_curl_slist_free_all(headerList) }

        try option(CURLOPT_URL, request.url)
        try option(CURLOPT_NOSIGNAL, 1)
        try option(CURLOPT_ERRORBUFFER, pointer: UnsafeRawPointer(errorBuffer))
        try option(CURLOPT_TIMEOUT_MS, Int(request.timeout.milliseconds))
        try option(CURLOPT_CONNECTTIMEOUT_MS, Int(configuration.connectTimeout.milliseconds))
        try check(og_curl_setopt_datacb(handle, CURLOPT_WRITEFUNCTION, { data, size, count, user in
            let collector = Unmanaged<ResponseCollector>.fromOpaque(user!).takeUnretainedValue()
            collector.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }))
        try option(CURLOPT_WRITEDATA, pointer: collectorPointer.toOpaque())
        try check(og_curl_setopt_datacb(handle, CURLOPT_HEADERFUNCTION, { data, size, count, user in
            let collector = Unmanaged<ResponseCollector>.fromOpaque(user!).takeUnretainedValue()
            collector.addHeaderLine(String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self))
            return size * count
        }))
        try option(CURLOPT_HEADERDATA, pointer: collectorPointer.toOpaque())

        try applyMethodAndBody(request)
        var headers = request.headers.map { "\($0.name): \($0.value)" }
        // Large bodies would otherwise wait a second for "100 Continue", which many appliances never send.
        if !request.headers.contains(where: { $0.name.lowercased() == "expect" }) { headers.append("Expect:") }
        for line in headers { headerList = og_curl_slist_append(headerList, line) }
        try option(CURLOPT_HTTPHEADER, pointer: UnsafeRawPointer(headerList))

        try applyTrust()
        try applyProxy()
        if let login = configuration.basicAuthentication {
            try option(CURLOPT_USERNAME, login.user)
            try option(CURLOPT_PASSWORD, login.password)
            try option(CURLOPT_HTTPAUTH, 1) // CURLAUTH_BASIC, a macro Swift does not import
        }

        let code = og_curl_easy_perform(handle)
        guard code == CURLE_OK else { throw failure(code, request: request) }
        var status = 0
        _ = og_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: collector.headers, body: collector.body)
    }

    private func applyMethodAndBody(_ request: HTTPRequest) throws {
        let method = request.method.uppercased()
        switch method {
        case "GET" where request.body.isEmpty:
            try option(CURLOPT_HTTPGET, 1)
        case "HEAD":
            try option(CURLOPT_NOBODY, 1)
        default:
            if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(method) {
                try check(og_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
                try request.body.withUnsafeBytes { bytes in
                    // COPYPOSTFIELDS copies, so the body need not outlive this call; an empty body still needs a valid pointer.
                    let empty: [UInt8] = [0]
                    try empty.withUnsafeBytes { fallback in
                        try option(CURLOPT_COPYPOSTFIELDS, pointer: bytes.baseAddress ?? fallback.baseAddress!)
                    }
                }
            }
            if method != "POST" { try option(CURLOPT_CUSTOMREQUEST, method) }
        }
    }

    private func applyTrust() throws {
        switch configuration.trust {
        case .insecure:
            try option(CURLOPT_SSL_VERIFYPEER, 0)
            try option(CURLOPT_SSL_VERIFYHOST, 0)
        case .verify:
            try option(CURLOPT_SSL_VERIFYPEER, 1)
            try option(CURLOPT_SSL_VERIFYHOST, 2)
            if let caBundle {
                try caBundle.withUnsafeBytes { try check(og_curl_setopt_blob(handle, CURLOPT_CAINFO_BLOB, $0.baseAddress, $0.count)) }
            }
        }
        if let identity = configuration.clientIdentity {
            try Array(identity.certificatePEM.utf8).withUnsafeBytes {
                try check(og_curl_setopt_blob(handle, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count))
            }
            try option(CURLOPT_SSLCERTTYPE, "PEM")
            try Array(identity.privateKeyPEM.utf8).withUnsafeBytes {
                try check(og_curl_setopt_blob(handle, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count))
            }
            try option(CURLOPT_SSLKEYTYPE, "PEM")
            if let passphrase = identity.privateKeyPassphrase { try option(CURLOPT_KEYPASSWD, passphrase) }
        }
    }

    private func applyProxy() throws {
        guard let proxy = configuration.proxy else {
            // An empty proxy turns off http_proxy/https_proxy from the environment: only configured proxies apply.
            try option(CURLOPT_PROXY, "")
            return
        }
        try option(CURLOPT_PROXY, "http://\(proxy.description)")
        try option(CURLOPT_HTTPPROXYTUNNEL, 1)
        if let user = proxy.user {
            try option(CURLOPT_PROXYUSERNAME, user)
            try option(CURLOPT_PROXYPASSWORD, proxy.password ?? "")
        }
        if proxy.bypassLoopback { try option(CURLOPT_NOPROXY, "localhost,127.0.0.0/8,::1") }
    }

    private func failure(_ code: CURLcode, request: HTTPRequest) -> HTTPError {
        let url = URLRedaction.redacted(request.url)
        let detail = String(cString: errorBuffer)
        let reason = detail.isEmpty ? String(cString: og_curl_easy_strerror(code)) : detail
        var connectCode = 0
        _ = og_curl_getinfo_long(handle, CURLINFO_HTTP_CONNECTCODE, &connectCode)
        let proxy = configuration.proxy.flatMap { usesProxy($0, url: request.url) ? $0 : nil }
        if let proxy, connectCode != 0, !(200..<300).contains(connectCode) {
            return .proxyFailed(proxy: proxy.description, url: url, reason: "it answered CONNECT with HTTP \(connectCode)"
                                + (connectCode == 407 ? " (proxy authentication required; check the proxy user and password)" : ""))
        }
        switch code {
        case CURLE_COULDNT_RESOLVE_PROXY:
            return .proxyFailed(proxy: proxy?.description ?? "(none)", url: url, reason: reason)
        case CURLE_COULDNT_CONNECT where proxy != nil && connectCode == 0:
            return .proxyFailed(proxy: proxy!.description, url: url, reason: reason)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT:
            return .couldNotConnect(url: url, reason: reason)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            return .identityRejected(url: url, reason: reason)
        case CURLE_SSL_CERTPROBLEM:
            return .tlsFailed(url: url, reason: "the client certificate or its key could not be used: \(reason)")
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CIPHER, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CACERT_BADFILE:
            return .tlsFailed(url: url, reason: reason)
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(url: url, after: request.timeout)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidArgument(field: "url", problem: "\"\(url)\" cannot be used: \(reason)")
        default:
            return .transferFailed(url: url, reason: reason)
        }
    }

    /// Whether libcurl sends a request for `url` through `proxy`, given its loopback exception.
    private func usesProxy(_ proxy: HTTPProxy, url: String) -> Bool {
        guard proxy.bypassLoopback else { return true }
        let host = HTTPClient.host(of: url).lowercased()
        return !(host == "localhost" || host == "::1" || host.hasPrefix("127."))
    }

    static func host(of url: String) -> String {
        guard let start = url.range(of: "://")?.upperBound else { return "" }
        var authority = url[start...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.hasPrefix("[") { return String(authority.dropFirst().prefix { $0 != "]" }) }
        return String(authority.prefix { $0 != ":" })
    }

    private func option(_ option: CURLoption, _ value: Int) throws {
        try check(og_curl_setopt_long(handle, option, value))
    }

    private func option(_ option: CURLoption, _ value: String) throws {
        try check(og_curl_setopt_str(handle, option, value))
    }

    private func option(_ option: CURLoption, pointer: UnsafeRawPointer?) throws {
        try check(og_curl_setopt_ptr(handle, option, pointer))
    }

    private func check(_ code: CURLcode) throws {
        guard code == CURLE_OK else {
            throw HTTPError.invalidArgument(field: "libcurl option", problem: String(cString: og_curl_easy_strerror(code))
                                            + "; this libcurl may be too old (og-host needs 7.77 or later)")
        }
    }
}

/// Where libcurl's callbacks put the answer of one exchange.
private final class ResponseCollector {
    var body: [UInt8] = []
    var headers: [(name: String, value: String)] = []

    func addHeaderLine(_ line: String) {
        let trimmed = line.trimmingTrailingWhitespace
        // Each status line (a proxy's CONNECT answer, 100 Continue, the final one) starts a new header block.
        if trimmed.hasPrefix("HTTP/") {
            headers = []
            return
        }
        guard let colon = trimmed.firstIndex(of: ":") else { return }
        let name = String(trimmed[..<colon])
        let value = trimmed[trimmed.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
        headers.append((name: name, value: String(value)))
    }
}
