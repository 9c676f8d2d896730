import CSSH2
import Foundation

/// One libssh2 session over one TCP socket, driven in non-blocking mode so
/// that every step honours a deadline: each libssh2 call that would block
/// returns EAGAIN, and the session then waits in poll(2) for the socket
/// direction libssh2 is blocked on.
///
/// Not thread-safe: `SSHConnection` serialises all use.
final class SSHSession {
    let raw: OpaquePointer
    let socket: Int32
    let host: String
    let port: Int
    /// Set once the transport has failed; every later operation reports it.
    private(set) var brokenReason: String?
    /// Answers keyboard-interactive prompts; libssh2 hands it back to the
    /// callback through the session's abstract pointer, so it lives as long as the session.
    let keyboardInteractive = KeyboardInteractiveAnswers()

    private static let libraryReady: Int32 = libssh2_init(0)

    /// Connects, and completes the SSH handshake (key exchange) before `timeout`.
    init(host: String, port: Int, timeout: Duration, keepaliveInterval: Duration,
         algorithms: SSHAlgorithms = .modernOnly) throws {
        guard Self.libraryReady == 0 else {
            throw ConnectionError.couldNotConnect(host: host, port: port, reason: "libssh2 could not be initialised")
        }
        self.host = host
        self.port = port
        socket = try TCPSocket.connect(host: host, port: port, timeout: timeout)
        let abstract = Unmanaged.passUnretained(keyboardInteractive).toOpaque()
        guard let session = libssh2_session_init_ex(nil, nil, nil, abstract) else {
            Glibc.close(socket)
            throw ConnectionError.couldNotConnect(host: host, port: port, reason: "libssh2 could not allocate a session")
        }
        raw = session
        libssh2_session_set_blocking(raw, 0)
        let seconds = keepaliveInterval.components.seconds
        if seconds > 0 { libssh2_keepalive_config(raw, 1, UInt32(clamping: seconds)) }

        if let refused = algorithms.apply(to: raw) {
            throw ConnectionError.invalidArgument(field: "field `ssh_legacy_algorithms`",
                                                  problem: "libssh2 refused the \(refused.kind.rawValue) list (error \(refused.code))")
        }
        let deadline = Deadline(timeout, operation: "SSH handshake with \(host):\(port)")
        let result = try call(deadline) { libssh2_session_handshake(raw, libssh2_socket_t(socket)) }
        if result == LIBSSH2_ERROR_KEX_FAILURE || result == LIBSSH2_ERROR_METHOD_NONE {
            let offered = SSHAlgorithms.Kind.allCases.map { "\($0.rawValue): \(algorithms.preference($0))" }.joined(separator: "; ")
            throw failure("the server and og-host share no algorithm (og-host offers \(offered)). If \(host) is a legacy "
                          + "device, enable only what it needs with field `ssh_legacy_algorithms`, e.g. "
                          + "field `ssh_legacy_algorithms` diffie-hellman-group14-sha1,ssh-rsa")
        }
        if result != 0 {
            throw failure("the SSH handshake failed; check that \(host):\(port) is an SSH server")
        }
    }

    deinit {
        // Teardown may block briefly: a bounded blocking goodbye is simpler than another loop.
        libssh2_session_set_blocking(raw, 1)
        libssh2_session_set_timeout(raw, 2000)
        if brokenReason == nil {
            _ = libssh2_session_disconnect_ex(raw, SSH_DISCONNECT_BY_APPLICATION, "og-host closing", "")
        }
        libssh2_session_free(raw)
        Glibc.close(socket)
    }

    // MARK: - Driving non-blocking calls

    /// Calls `body` until it stops answering EAGAIN, waiting for the socket in between.
    func call<Result: BinaryInteger>(_ deadline: Deadline, _ body: () -> Result) throws -> Result {
        while true {
            let result = body()
            guard result == Result(LIBSSH2_ERROR_EAGAIN) else { return result }
            try waitForSocket(deadline)
        }
    }

    /// As `call`, for libssh2 functions that return a pointer, NULL on failure or EAGAIN.
    func callReturningPointer<Pointer>(_ deadline: Deadline, _ body: () -> Pointer?) throws -> Pointer? {
        while true {
            libssh2_session_set_last_error(raw, 0, nil)
            if let pointer = body() { return pointer }
            guard libssh2_session_last_errno(raw) == LIBSSH2_ERROR_EAGAIN else { return nil }
            try waitForSocket(deadline)
        }
    }

    /// Waits until the socket is ready in the direction libssh2 is blocked on.
    func waitForSocket(_ deadline: Deadline) throws {
        if deadline.hasPassed { throw deadline.error }
        let directions = libssh2_session_block_directions(raw)
        var events: Int16 = 0
        if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= Int16(POLLIN) }
        if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
        // Blocked on neither (a full channel window): the news that unblocks it arrives inbound.
        if events == 0 { events = Int16(POLLIN) }
        var entry = pollfd(fd: socket, events: events, revents: 0)
        while true {
            let ready = poll(&entry, 1, deadline.remainingMilliseconds)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 { throw deadline.error }
            return
        }
    }

    /// Sends a keepalive if one is due; errors surface on the next real operation.
    func keepalive() {
        var secondsToNext: Int32 = 0
        _ = libssh2_keepalive_send(raw, &secondsToNext)
    }

    // MARK: - Errors

    /// libssh2's last error code and message.
    var lastError: (code: Int32, message: String) {
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        let code = libssh2_session_last_error(raw, &message, &length, 0)
        return (code, message.map { String(cString: $0) } ?? "")
    }

    /// Records that the transport is unusable and returns the error to throw.
    func failure(_ context: String) -> ConnectionError {
        let (code, message) = lastError
        let reason = "\(context) (libssh2 \(code): \(message))"
        markBroken(reason)
        return .couldNotConnect(host: host, port: port, reason: reason)
    }

    func markBroken(_ reason: String) {
        if brokenReason == nil { brokenReason = reason }
    }

    /// Throws if an earlier failure left the session unusable.
    func checkUsable() throws {
        if let brokenReason {
            throw ConnectionError.couldNotConnect(
                host: host, port: port,
                reason: "the session is unusable after an earlier failure (\(brokenReason)); open a new connection")
        }
    }
}

/// The password given to keyboard-interactive prompts, and how often it was asked for.
final class KeyboardInteractiveAnswers {
    var password: String?
    var passwordsGiven = 0
}
