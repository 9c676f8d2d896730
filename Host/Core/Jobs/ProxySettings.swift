import Foundation
import OGBasics
import OGConnections
import OGCredentials

/// The outbound HTTP proxy every HTTP(S) client og-host builds goes through
/// (`og-host proxy set/get`). Kept in `<data dir>/proxy.json`; the password
/// lives sealed in the local credential store, never in that file.
public struct ProxySettings: Codable, Equatable, Sendable {
    public var host: String
    public var port: Int
    public var user: String?
    /// Whether a password is stored for `user` in the local credential store.
    public var hasPassword: Bool
    /// Loopback destinations (localhost, 127.0.0.0/8, ::1) are reached directly.
    public var bypassLoopback: Bool

    public init(host: String, port: Int, user: String? = nil, hasPassword: Bool = false, bypassLoopback: Bool = false) {
        self.host = host
        self.port = port
        self.user = user
        self.hasPassword = hasPassword
        self.bypassLoopback = bypassLoopback
    }

    /// Where the settings file lives.
    static func filePath(_ gateway: Gateway) -> String { gateway.dataDirectory.path + "/proxy.json" }

    /// The ID of the proxy password in the default local credential store.
    static let credentialID = "og-host:outbound-proxy"

    /// What `proxy set --pacurl` answers: this og-host has no PAC engine, and
    /// silently connecting directly would bypass the operator's proxy policy.
    public static let pacUnsupported = GatewayError.option(
        "pacurl", "PAC evaluation is not supported by this og-host; give field `host`/field `port` of the proxy the PAC file picks instead")

    /// The stored settings; nil when no proxy is configured.
    public static func load(_ gateway: Gateway) throws -> ProxySettings? {
        let path = filePath(gateway)
        guard LocalFiles.exists(path) else { return nil }
        do {
            return try JSONDecoder().decode(ProxySettings.self, from: Data(LocalFiles.read(path)))
        } catch {
            throw GatewayError("\(path): the proxy settings cannot be read (\(error)); run `og-host proxy set` again to rewrite them")
        }
    }

    /// Stores `settings` (nil clears them) and, when given, the proxy password.
    public static func save(_ settings: ProxySettings?, password: Secret?, gateway: Gateway) throws {
        if let settings {
            try HTTPProxy(host: settings.host, port: settings.port, user: settings.user,
                          password: password.map { _ in "" }).validateForGateway()
        }
        try gateway.dataDirectory.prepare()
        let store = try localStore(gateway)
        do {
            if let settings, let user = settings.user, let password {
                let credential = Credential.password(username: user, password)
                do {
                    try store.add(credential, id: credentialID)
                } catch CredentialsError.idTaken {
                    try store.update(id: credentialID, to: credential)
                }
            } else if (try? load(gateway))?.hasPassword == true {
                // A password nobody uses any more must not linger in the store.
                try store.remove(id: credentialID)
            }
        } catch let error as GatewayError {
            throw error
        } catch {
            throw GatewayError("credential store 'default': storing the proxy password: \(error)")
        }
        let path = filePath(gateway)
        if let settings {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try LocalFiles.writeAtomically(path, contents: Array(try encoder.encode(settings)) + [0x0A], mode: 0o600)
        } else if LocalFiles.exists(path) {
            guard unlink(path) == 0 else {
                throw GatewayError("\(path): cannot remove the proxy settings: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The proxy as the HTTP client takes it, with its password.
    func httpProxy(_ gateway: Gateway) throws -> HTTPProxy {
        var password: String?
        if hasPassword {
            do {
                let credential = try Self.localStore(gateway).credential(id: Self.credentialID)
                guard case .password(let secret) = credential.secret else {
                    throw GatewayError("credential '\(Self.credentialID)' is not a password")
                }
                password = secret.exposedString()
            } catch let error as GatewayError {
                throw error
            } catch {
                throw GatewayError("the outbound proxy password cannot be read from the credential store (\(error)); "
                                   + "set it again with `og-host proxy set field `host` ... field `user` ... field `password` -`")
            }
        }
        return HTTPProxy(host: host, port: port, user: user, password: password, bypassLoopback: bypassLoopback)
    }

    private static func localStore(_ gateway: Gateway) throws -> LocalCredentialStore {
        do {
            return try LocalCredentialStore(directory: LocalCredentialDirectory(path: gateway.dataDirectory.credentialsPath))
        } catch {
            throw GatewayError("credential store 'default': \(error)")
        }
    }
}

extension HTTPProxy {
    /// `validate`, phrased as a command-line error.
    func validateForGateway() throws {
        do {
            try validate()
        } catch HTTPError.invalidArgument(let field, let problem) {
            throw GatewayError("\(field): \(problem)", category: .badInput)
        }
    }
}
