import COpenSSL
import Foundation

/// Reads the certificate chain a TLS server presents, the way a client sees it.
///
/// Nothing is verified: the probe's job is to report what is served (so the
/// host can compare it with what it installed), including expired or
/// self-signed certificates and legacy protocol versions.
public enum TLSProbe {
    /// Connects to `host:port`, sends `serverName` as SNI (nil = no SNI; IP
    /// literals are never sent, as RFC 6066 forbids), completes the handshake
    /// and returns the presented chain, leaf first.
    public static func servedCertificate(host: String, port: UInt16, serverName: String? = nil,
                                         timeout: Duration = .seconds(10)) throws -> [Certificate] {
        let endpoint = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        guard port != 0 else {
            throw MaterialError.invalidField(field: "port", value: "0", problem: "is not between 1 and 65535")
        }
        let deadline = ContinuousClock.now + timeout
        let socket = try connect(host: host, port: port, endpoint: endpoint, deadline: deadline, timeout: timeout)
        defer { close(socket) }
        return try handshake(socket: socket, serverName: serverName, endpoint: endpoint, deadline: deadline, timeout: timeout)
    }

    // MARK: TCP

    private static func connect(host: String, port: UInt16, endpoint: String, deadline: ContinuousClock.Instant,
                                timeout: Duration) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &results)
        guard status == 0, let results else {
            throw MaterialError.probeFailed(endpoint: endpoint, reason: "cannot resolve '\(host)': "
                                                + String(cString: gai_strerror(status)) + "; check the host name")
        }
        defer { freeaddrinfo(results) }
        var lastProblem = "no address found"
        var candidate: UnsafeMutablePointer<addrinfo>? = results
        while let address = candidate {
            candidate = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            if Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return fd }
            guard errno == EINPROGRESS else {
                lastProblem = describe(errno: errno)
                close(fd)
                continue
            }
            guard wait(fd, for: Int16(POLLOUT), until: deadline) else {
                close(fd)
                throw MaterialError.probeFailed(endpoint: endpoint, reason: "no TCP connection within \(timeout); "
                                                    + "check the address, the port and firewalls")
            }
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
            if socketError == 0 { return fd }
            lastProblem = describe(errno: socketError)
            close(fd)
        }
        throw MaterialError.probeFailed(endpoint: endpoint, reason: lastProblem)
    }

    private static func describe(errno code: Int32) -> String {
        if code == ECONNREFUSED { return "connection refused; is the server running and listening on this port?" }
        return "cannot connect: \(String(cString: strerror(code)))"
    }

    /// Waits until `fd` is ready for `events`; false when the deadline passed first.
    private static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { return false }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { return true }  // let the next I/O call report the problem
        }
    }

    // MARK: TLS

    private static func handshake(socket: Int32, serverName: String?, endpoint: String,
                                  deadline: ContinuousClock.Instant, timeout: Duration) throws -> [Certificate] {
        OpenSSLErrorQueue.clear()
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw OpenSSLErrorQueue.failure("creating a TLS context") }
        defer { SSL_CTX_free(context) }
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        // Read whatever is served, however old: the probe reports, it does not judge.
        SSL_CTX_set_security_level(context, 0)
        _ = og_SSL_CTX_set_min_proto_version(context, 0)
        guard let connection = SSL_new(context) else { throw OpenSSLErrorQueue.failure("creating a TLS connection") }
        defer { SSL_free(connection) }
        guard SSL_set_fd(connection, socket) == 1 else { throw OpenSSLErrorQueue.failure("attaching the TLS connection") }
        if let serverName, !serverName.isEmpty, IPAddressText.bytes(of: serverName) == nil {
            guard og_SSL_set_tlsext_host_name(connection, serverName) == 1 else {
                throw MaterialError.invalidField(field: "server name", value: serverName,
                                                 problem: "cannot be sent as SNI: " + OpenSSLErrorQueue.drain().joined(separator: "; "))
            }
        }
        while true {
            let result = SSL_connect(connection)
            if result == 1 { break }
            let code = SSL_get_error(connection, result)
            let events: Int16
            switch code {
            case SSL_ERROR_WANT_READ: events = Int16(POLLIN)
            case SSL_ERROR_WANT_WRITE: events = Int16(POLLOUT)
            case SSL_ERROR_SYSCALL, SSL_ERROR_ZERO_RETURN:
                let messages = OpenSSLErrorQueue.drain()
                throw MaterialError.probeFailed(endpoint: endpoint, reason: "the server closed the connection during the TLS "
                                                    + "handshake; is it serving TLS on this port?"
                                                    + (messages.isEmpty ? "" : " (\(messages.joined(separator: "; ")))"))
            default:
                throw MaterialError.probeFailed(endpoint: endpoint, reason: "TLS handshake failed: "
                                                    + OpenSSLErrorQueue.drain().joined(separator: "; "))
            }
            guard wait(socket, for: events, until: deadline) else {
                throw MaterialError.probeFailed(endpoint: endpoint, reason: "no TLS handshake within \(timeout); "
                                                    + "is the server speaking TLS on this port?")
            }
        }
        var chain: [Certificate] = []
        if let presented = SSL_get_peer_cert_chain(connection) {
            for index in 0..<og_sk_X509_num(presented) {
                if let certificate = og_sk_X509_value(presented, index) { chain.append(Certificate(retaining: certificate)) }
            }
        }
        if chain.isEmpty, let leaf = SSL_get1_peer_certificate(connection) {
            chain.append(Certificate(taking: leaf))
        }
        // A polite close; the server's answer is not awaited.
        _ = SSL_shutdown(connection)
        OpenSSLErrorQueue.clear()
        guard !chain.isEmpty else {
            throw MaterialError.probeFailed(endpoint: endpoint, reason: "the server presented no certificate")
        }
        return chain
    }
}
