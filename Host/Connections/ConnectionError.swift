/// Why a connection operation failed. Each case corresponds to one SDK status
/// code (`OG_ERR_CONNECT`, `OG_ERR_AUTH`, `OG_ERR_IDENTITY`, ...), and every
/// description names what failed and what the operator can do about it.
/// Descriptions never contain secrets.
public enum ConnectionError: Error, Equatable, CustomStringConvertible {
    /// The endpoint could not be reached, or the connection to it broke. (`OG_ERR_CONNECT`)
    case couldNotConnect(host: String, port: Int, reason: String)
    /// The endpoint refused the credentials. (`OG_ERR_AUTH`)
    case authenticationFailed(user: String, host: String, reason: AuthenticationFailure)
    /// The endpoint presented a host key other than the one trusted for it. (`OG_ERR_IDENTITY`)
    case hostKeyRejected(host: String, expectedFingerprint: String, presentedFingerprint: String)
    /// Nothing vouches for the endpoint's host key and trust-on-first-use is off. (`OG_ERR_IDENTITY`)
    case hostKeyUnknown(host: String, presentedFingerprint: String)
    /// A command ran and exited non-zero (see `CommandResult.requireSuccess`). (`OG_ERR_COMMAND_FAILED`)
    case commandFailed(program: String, exitStatus: Int32, standardError: String)
    /// An operation did not finish in time. (`OG_ERR_TIMEOUT`)
    case timedOut(operation: String, after: Duration)
    /// A path does not exist on the endpoint. (`OG_ERR_NOT_FOUND`)
    case notFound(path: String)
    /// Reading or writing a path failed. (`OG_ERR_IO`)
    case io(path: String, reason: String)
    /// The connection type cannot do this. (`OG_ERR_NOT_SUPPORTED`)
    case notSupported(String)
    /// A connection setting or argument is malformed. (`OG_ERR_INVALID_ARGUMENT`)
    case invalidArgument(field: String, problem: String)

    public var description: String {
        switch self {
        case .couldNotConnect(let host, let port, let reason):
            return "\(host)\(port > 0 ? ":\(port)" : ""): connection failed: \(reason)"
        case .authenticationFailed(let user, let host, let reason):
            return "\(user)@\(host): authentication failed: \(reason)"
        case .hostKeyRejected(let host, let expected, let presented):
            return "\(host): host key changed: expected \(expected), the server presented \(presented). "
                + "The server may have been reinstalled, or someone may be intercepting the connection. "
                + "Check the fingerprint on the server itself (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub); "
                + "only if it is \(presented), replace the pinned fingerprint or known_hosts entry for \(host) with it."
        case .hostKeyUnknown(let host, let presented):
            return "\(host): unknown host key \(presented), and trust on first use is off. "
                + "Check the fingerprint on the server itself (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), "
                + "then pin \(presented) for this connection, add the key to the known_hosts file, "
                + "or allow trust on first use."
        case .commandFailed(let program, let status, let standardError):
            let detail = standardError.trimmingTrailingWhitespace
            return "\(program) exited with status \(status)" + (detail.isEmpty ? "" : ": \(detail)")
        case .timedOut(let operation, let after):
            return "\(operation) did not finish within \(after.humanReadable); raise the timeout or find out why it hangs"
        case .notFound(let path):
            return "\(path): no such file or directory"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        case .notSupported(let what):
            return what
        case .invalidArgument(let field, let problem):
            return "\(field): \(problem)"
        }
    }
}

/// Which credential the endpoint refused, and what to do about it.
public enum AuthenticationFailure: Equatable, Sendable, CustomStringConvertible {
    case wrongPassword
    case passwordExpired
    case wrongPassphrase(keyPath: String)
    case passphraseRequired(keyPath: String)
    case keyRejected(keyPath: String)
    /// The server knew the public key but did not accept the signature; `reason` says what the protocol told.
    case signatureRefused(keyPath: String, reason: String)
    case unreadableKey(keyPath: String, reason: String)
    case unsupportedKey(keyPath: String, reason: String)
    case methodNotOffered(wanted: String, offered: [String])
    case sudoPasswordRequired
    case wrongSudoPassword
    /// sudo refused for another reason, in its own words (e.g. the account is not in the sudoers file).
    case sudoRefused(String)

    public var description: String {
        switch self {
        case .wrongPassword:
            return "the server rejected the password; check the password configured for this connection"
        case .passwordExpired:
            return "the account's password has expired; log in once interactively to change it"
        case .wrongPassphrase(let path):
            return "the passphrase for private key \(path) is wrong; check the key passphrase configured for this connection"
        case .passphraseRequired(let path):
            return "private key \(path) is encrypted; configure its passphrase for this connection"
        case .keyRejected(let path):
            return "the server did not accept private key \(path); add its public key to the user's authorized_keys"
        case .signatureRefused(let path, let reason):
            return "the server refused the signature of private key \(path): \(reason)"
        case .unreadableKey(let path, let reason):
            return "private key \(path) could not be read: \(reason)"
        case .unsupportedKey(let path, let reason):
            return "private key \(path) is not a usable RSA, ECDSA or Ed25519 key in OpenSSH or PEM format: \(reason)"
        case .methodNotOffered(let wanted, let offered):
            return "the server does not offer \(wanted) authentication (it offers: \(offered.joined(separator: ", "))); "
                + "use a credential of an offered kind or enable \(wanted) on the server"
        case .sudoPasswordRequired:
            return "sudo requires a password; configure a sudo password for this connection or a NOPASSWD sudoers rule"
        case .wrongSudoPassword:
            return "sudo rejected the sudo password; check the sudo password configured for this connection"
        case .sudoRefused(let text):
            return "sudo refused: \(text.isEmpty ? "(no message)" : text); check the account's sudoers rule"
        }
    }
}

extension Duration {
    /// "5 s", "1.5 s", "250 ms".
    var humanReadable: String {
        let milliseconds = self.milliseconds
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(Double(milliseconds) / 1000) s"
    }

    /// Whole milliseconds, clamped to zero.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        // Clamped so that absurdly long timeouts cannot overflow.
        return max(0, min(seconds, 1 << 40) * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}

extension String {
    var trimmingTrailingWhitespace: String {
        var result = Substring(self)
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return String(result)
    }
}
