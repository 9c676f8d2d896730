import OGBasics

/// How to reach one endpoint: everything `ConnectionFactory.open` needs.
/// Its descriptions (`print`, `dump`, string interpolation) hide secrets.
public struct ConnectionSpec: Sendable, Equatable {
    public var type: ConnectionType
    /// Empty for `local`.
    public var host: String
    /// nil = the type's default port.
    public var port: Int?
    /// Empty for `local`.
    public var user: String
    public var authentication: ConnectionAuthentication
    /// Privileged commands and every file operation run as root through sudo
    /// (SSH to a POSIX endpoint as a login other than root). Without it,
    /// privileged commands run with the login's own rights.
    public var sudo: Bool
    /// Used with `sudo -S` when sudo asks for a password; nil = `sudo -n`.
    public var sudoPassword: String?
    public var hostKeyPolicy: HostKeyPolicy
    /// Modern SSH algorithms only, unless the endpoint names legacy ones to enable.
    public var sshAlgorithms: SSHAlgorithms
    public var connectTimeout: Duration
    /// Applies to each file operation; commands take their own timeout.
    public var operationTimeout: Duration
    /// How often an idle SSH session sends a keepalive; zero turns them off.
    public var keepaliveInterval: Duration

    public init(type: ConnectionType, host: String = "", port: Int? = nil, user: String = "",
                authentication: ConnectionAuthentication = .none, sudo: Bool = false, sudoPassword: String? = nil,
                hostKeyPolicy: HostKeyPolicy = HostKeyPolicy(), sshAlgorithms: SSHAlgorithms = .modernOnly, connectTimeout: Duration = .seconds(15),
                operationTimeout: Duration = .seconds(120), keepaliveInterval: Duration = .seconds(30)) {
        self.type = type
        self.host = host
        self.port = port
        self.user = user
        self.authentication = authentication
        self.sudo = sudo
        self.sudoPassword = sudoPassword
        self.hostKeyPolicy = hostKeyPolicy
        self.sshAlgorithms = sshAlgorithms
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout
        self.keepaliveInterval = keepaliveInterval
    }

    /// A connection to the gateway itself.
    public static let local = ConnectionSpec(type: .local)

    /// The port to connect to: the explicit one or the type's default.
    public var effectivePort: Int? { port ?? type.defaultPort }

    /// Checks the settings and says which one is wrong and how to fix it.
    public func validate() throws {
        if let port, !(1...65535).contains(port) {
            throw ConnectionError.invalidArgument(field: "field `port`", problem: "\(port) is not between 1 and 65535")
        }
        guard type != .local else { return }
        if host.isEmpty {
            throw ConnectionError.invalidArgument(field: "field `host`", problem: "is required for connection type \(type.rawValue)")
        }
        if host.contains(where: { $0.isWhitespace || $0 == "\0" || $0 == "/" }) {
            throw ConnectionError.invalidArgument(field: "field `host`", problem: "\"\(host)\" is not a host name or IP address")
        }
        if type.isSSH && user.isEmpty {
            throw ConnectionError.invalidArgument(field: "field `user`", problem: "is required for connection type \(type.rawValue)")
        }
        if type.isSSH, case .none = authentication {
            throw ConnectionError.invalidArgument(field: "field `password`/field `key`",
                                                  problem: "connection type \(type.rawValue) needs a password or a private key")
        }
        if case .privateKey(let path, _) = authentication, path.isEmpty {
            throw ConnectionError.invalidArgument(field: "field `key`", problem: "is empty; give the path of a private key file")
        }
        if connectTimeout <= .zero {
            throw ConnectionError.invalidArgument(field: "field `connect-timeout`", problem: "must be more than zero")
        }
        if operationTimeout <= .zero {
            throw ConnectionError.invalidArgument(field: "field `timeout`", problem: "must be more than zero")
        }
        try hostKeyPolicy.validate()
    }
}

extension ConnectionSpec: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `ssh ops@web1:22`, without credentials.
    public var description: String {
        guard type != .local else { return "local" }
        let port = effectivePort.map { ":\($0)" } ?? ""
        return "\(type.rawValue) \(user.isEmpty ? "" : "\(user)@")\(host)\(port)"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["type": type, "host": host, "port": port as Any, "user": user,
                                "authentication": authentication, "sudoPassword": sudoPassword == nil ? "none" : "<redacted>",
                                "hostKeyPolicy": hostKeyPolicy])
    }
}

extension ConnectionType {
    /// Parses an operator's spelling, naming the valid ones when it is wrong.
    public init(parsing text: String) throws {
        guard let type = ConnectionType(rawValue: text) else {
            throw ConnectionError.invalidArgument(
                field: "field `connection`",
                problem: "\"\(text)\" is not a connection type; use one of \(Self.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = type
    }
}

/// The credential a connection logs in with.
public enum ConnectionAuthentication: Sendable, Equatable {
    case none
    /// Tried as SSH `password`, then as `keyboard-interactive` answering password prompts.
    case password(String)
    /// A private key file (OpenSSH or PEM; RSA, ECDSA or Ed25519), optionally encrypted.
    case privateKey(path: String, passphrase: String?)
}

extension ConnectionAuthentication: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        switch self {
        case .none: return "none"
        case .password: return "password(<redacted>)"
        case .privateKey(let path, let passphrase):
            return "privateKey(\(path)\(passphrase == nil ? "" : ", passphrase: <redacted>"))"
        }
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}
