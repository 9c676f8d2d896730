import OGMaterial

/// How an `HTTPClient` connects: trust, client identity, proxy, login, retries.
/// Its descriptions hide secrets.
public struct HTTPClientConfiguration: Sendable {
    public var trust: HTTPTrust
    /// Presented when the server asks for a client certificate.
    public var clientIdentity: HTTPClientIdentity?
    /// nil = connect directly (environment variables such as `https_proxy` are ignored).
    public var proxy: HTTPProxy?
    /// Sent as HTTP Basic authentication with every request.
    public var basicAuthentication: HTTPBasicCredentials?
    public var connectTimeout: Duration
    /// How many times an idempotent request is tried when the connection cannot be made (at least 1).
    public var connectAttempts: Int
    /// The pause before the second attempt; it doubles for each further one.
    public var retryDelay: Duration

    public init(trust: HTTPTrust = .system, clientIdentity: HTTPClientIdentity? = nil, proxy: HTTPProxy? = nil,
                basicAuthentication: HTTPBasicCredentials? = nil, connectTimeout: Duration = .seconds(15),
                connectAttempts: Int = 3, retryDelay: Duration = .milliseconds(250)) {
        self.trust = trust
        self.clientIdentity = clientIdentity
        self.proxy = proxy
        self.basicAuthentication = basicAuthentication
        self.connectTimeout = connectTimeout
        self.connectAttempts = connectAttempts
        self.retryDelay = retryDelay
    }
}

/// Which server certificates an `HTTPClient` accepts.
public enum HTTPTrust: Sendable {
    /// The system's CA store plus these anchors; the name must match too.
    case verify(additionalAnchors: [Certificate])
    /// Anything, unverified. Whoever chooses this must record it in the audit.
    case insecure

    /// The system's CA store alone.
    public static let system = HTTPTrust.verify(additionalAnchors: [])

    /// The system store plus every certificate in `pem`.
    public static func verify(additionalAnchorsPEM pem: String) throws -> HTTPTrust {
        do {
            return .verify(additionalAnchors: try Certificate.parseAll(pem: pem, what: "trust anchor"))
        } catch {
            throw HTTPError.invalidArgument(field: "trust anchors", problem: "\(error)")
        }
    }
}

/// A client certificate with its private key, both PEM. They are handed to
/// libcurl in memory and never written to disk.
public struct HTTPClientIdentity: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The leaf first, then any intermediates.
    public var certificatePEM: String
    public var privateKeyPEM: String
    /// For an encrypted private key.
    public var privateKeyPassphrase: String?

    public init(certificatePEM: String, privateKeyPEM: String, privateKeyPassphrase: String? = nil) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.privateKeyPassphrase = privateKeyPassphrase
    }

    public var description: String { "client certificate (private key <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}

/// An HTTP proxy that tunnels HTTPS with CONNECT.
public struct HTTPProxy: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var host: String
    public var port: Int
    public var user: String?
    public var password: String?
    /// Connect directly to localhost, 127.0.0.0/8 and ::1 instead of through the proxy.
    public var bypassLoopback: Bool

    public init(host: String, port: Int, user: String? = nil, password: String? = nil, bypassLoopback: Bool = false) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.bypassLoopback = bypassLoopback
    }

    /// `proxy.example:3128`, without credentials.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["host": host, "port": port, "user": user as Any,
                                "password": password == nil ? "none" : "<redacted>", "bypassLoopback": bypassLoopback])
    }

    /// Checks the settings and says which one is wrong.
    public func validate() throws {
        if host.isEmpty || host.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "@" }) {
            throw HTTPError.invalidArgument(field: "field `host`", problem: "\"\(host)\" is not a proxy host name or IP address")
        }
        if !(1...65535).contains(port) {
            throw HTTPError.invalidArgument(field: "field `port`", problem: "\(port) is not between 1 and 65535")
        }
        if password != nil && (user ?? "").isEmpty {
            throw HTTPError.invalidArgument(field: "field `user`", problem: "is required when a proxy password is given")
        }
    }
}

/// A user name and password for HTTP Basic authentication.
public struct HTTPBasicCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var user: String
    public var password: String

    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    public var description: String { "\(user):<redacted>" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}
