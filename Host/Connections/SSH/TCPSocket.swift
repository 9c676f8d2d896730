import Foundation

/// Opens the TCP connection an SSH session runs over, giving up at the deadline.
enum TCPSocket {
    /// A connected, non-blocking, close-on-exec socket to `host`:`port`.
    static func connect(host: String, port: Int, timeout: Duration) throws -> Int32 {
        let deadline = Deadline(timeout, operation: "connecting to \(host):\(port)")
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var addresses: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &addresses)
        guard resolved == 0, let first = addresses else {
            throw ConnectionError.couldNotConnect(
                host: host, port: port,
                reason: "cannot resolve the host name (\(String(cString: gai_strerror(resolved)))); check the spelling and DNS")
        }
        defer { freeaddrinfo(addresses) }

        var lastFailure = "no address to connect to"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate {
            candidate = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                lastFailure = String(cString: strerror(errno))
                continue
            }
            let failure: String?
            if Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 {
                failure = nil
            } else if errno == EINPROGRESS {
                failure = waitUntilConnected(fd, deadline: deadline)
            } else {
                failure = describe(errno)
            }
            if let failure {
                lastFailure = failure
                Glibc.close(fd)
                if deadline.hasPassed { break }
                continue
            }
            var on: Int32 = 1
            // Commands and SFTP requests are small request/response exchanges: Nagle's delay would dominate.
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, socklen_t(MemoryLayout<Int32>.size))
            return fd
        }
        throw ConnectionError.couldNotConnect(host: host, port: port, reason: lastFailure)
    }

    /// nil once connected, else why not.
    private static func waitUntilConnected(_ fd: Int32, deadline: Deadline) -> String? {
        var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        while true {
            let ready = poll(&entry, 1, deadline.remainingMilliseconds)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 {
                return "no answer within \(deadline.duration.humanReadable); check the host, the port and any firewall between"
            }
            break
        }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return error == 0 ? nil : describe(error)
    }

    private static func describe(_ code: Int32) -> String {
        switch code {
        case ECONNREFUSED:
            return "connection refused; check the port and that the SSH server is running"
        case EHOSTUNREACH, ENETUNREACH:
            return "\(String(cString: strerror(code))); check the host address and the network route"
        default:
            return String(cString: strerror(code))
        }
    }
}
