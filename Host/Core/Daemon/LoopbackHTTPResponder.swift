import Foundation

/// The daemon's metrics and health listener: a deliberately small HTTP/1.1
/// responder for GET on a loopback address (docs/ARCHITECTURE.md says why it
/// is not swift-nio). One connection at a time, on its own thread; a request
/// head larger than 8 KiB or slower than 5 s is dropped; every answer closes
/// the connection. Nothing it serves is secret, and it accepts no input but the path.
public final class LoopbackHTTPResponder: @unchecked Sendable {
    public typealias Handler = @Sendable (_ path: String) -> (status: Int, contentType: String, body: String)

    public let host: String
    public private(set) var port: UInt16
    private let listener: Int32
    private let handler: Handler
    private let stopPipe: [Int32]
    static let maximumRequestHead = 8 << 10
    static let requestTimeoutMilliseconds: Int32 = 5_000

    /// Binds `address` (validated loopback by `ServeOptions`); port 0 picks a free one.
    public init(host: String, port: UInt16, handler: @escaping Handler) throws {
        self.host = host
        self.handler = handler
        let isIPv6 = host.contains(":")
        let fd = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw GatewayError("listen: cannot create a socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var bound: Int32
        if isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw GatewayError.option("listen", "\(host):\(port) cannot be listened on: \(reason)", category: .conflict)
        }
        if port == 0 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            _ = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            let raw = withUnsafeBytes(of: &storage) { Array($0) }
            // sin_port and sin6_port sit at the same offset, in network order.
            self.port = UInt16(raw[2]) << 8 | UInt16(raw[3])
        } else {
            self.port = port
        }
        listener = fd
        var pipeEnds: [Int32] = [0, 0]
        _ = pipeEnds.withUnsafeMutableBufferPointer { pipe($0.baseAddress!) }
        // (The process runner closes every inherited descriptor in children anyway.)
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        stopPipe = pipeEnds
        Thread.detachNewThread { [self] in serve() }
    }

    /// Stops accepting; the thread ends after the connection in hand.
    public func stop() {
        var byte: UInt8 = 1
        _ = write(stopPipe[1], &byte, 1)
    }

    private func serve() {
        defer {
            close(listener)
            close(stopPipe[0])
            close(stopPipe[1])
        }
        while true {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stopPipe[0], events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, -1)
            if ready < 0 { if errno == EINTR { continue }; return }
            if fds[1].revents != 0 { return }
            let client = accept(listener, nil, nil)
            if client < 0 { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            answer(client)
            close(client)
        }
    }

    private func answer(_ client: Int32) {
        var head: [UInt8] = []
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int64(Self.requestTimeoutMilliseconds)))
        var buffer = [UInt8](repeating: 0, count: 2048)
        while !Self.containsHeadEnd(head) {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return }
            var descriptor = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return }
            let count = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            head += buffer[0..<count]
            if head.count > Self.maximumRequestHead {
                respond(client, status: 431, contentType: "text/plain", body: "request head too large\n")
                return
            }
        }
        let requestLine = String(decoding: head.prefix { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
        let parts = requestLine.split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else {
            respond(client, status: 400, contentType: "text/plain", body: "bad request\n")
            return
        }
        guard parts[0] == "GET" || parts[0] == "HEAD" else {
            respond(client, status: 405, contentType: "text/plain", body: "only GET\n", extra: "Allow: GET, HEAD\r\n")
            return
        }
        let target = parts[1]
        let path = String(target.prefix { $0 != "?" })
        let answer = handler(path)
        respond(client, status: answer.status, contentType: answer.contentType,
                body: parts[0] == "HEAD" ? "" : answer.body)
    }

    static func containsHeadEnd(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        for index in 0...(bytes.count - 4) where bytes[index] == 0x0D && bytes[index + 1] == 0x0A
            && bytes[index + 2] == 0x0D && bytes[index + 3] == 0x0A {
            return true
        }
        // Bare-LF clients (printf | nc) too.
        for index in 0...(bytes.count - 2) where bytes[index] == 0x0A && bytes[index + 1] == 0x0A {
            return true
        }
        return false
    }

    private func respond(_ client: Int32, status: Int, contentType: String, body: String, extra: String = "") {
        let reason = [200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
                      431: "Request Header Fields Too Large", 503: "Service Unavailable"][status] ?? "Status"
        let bodyBytes = Array(body.utf8)
        let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(bodyBytes.count)\r\n"
            + "Connection: close\r\nCache-Control: no-store\r\n\(extra)\r\n"
        let bytes = Array(head.utf8) + bodyBytes
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { send(client, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if written < 0 { if errno == EINTR { continue }; return }
            offset += written
        }
    }
}
