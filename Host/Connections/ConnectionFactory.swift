/// Opens the connection a `ConnectionSpec` describes.
public enum ConnectionFactory {
    /// Validates `spec` and opens it. `hostKeyStore` remembers SSH host keys
    /// (trust on first use) and reports changed ones.
    public static func open(_ spec: ConnectionSpec, hostKeyStore: HostKeyStore?) throws -> Connection {
        try spec.validate()
        switch spec.type {
        case .local:
            return LocalConnection(sudoPassword: spec.sudoPassword)
        case .ssh, .sshWindows:
            return try SSHConnection(spec: spec, hostKeyStore: hostKeyStore)
        case .winrmHTTP, .winrmHTTPS, .winrmHTTPSInsecure:
            // NTLM: Windows enables it by default, and over winrm_http it seals every message.
            return try WinRMConnection(spec: spec)
        case .rest, .restInsecure:
            // The system CA store only, direct: the host's own factory adds its trust anchors and proxy.
            return try RESTConnection(spec: spec)
        }
    }
}
