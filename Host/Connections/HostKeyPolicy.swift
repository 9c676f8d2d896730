/// How an SSH server's host key is verified before any credential is sent.
///
/// Every source given must agree with the presented key: a pinned
/// fingerprint, a known_hosts file, and the fingerprint the `HostKeyStore`
/// remembers for the host. A key none of them knows is accepted (and pinned in
/// the store) only with `trustOnFirstUse`; a key that contradicts any of them
/// is always refused.
public struct HostKeyPolicy: Sendable, Equatable {
    /// `SHA256:<base64>` as OpenSSH prints it (the prefix and base64 padding are optional).
    public var pinnedFingerprint: String?
    /// An OpenSSH known_hosts file (plain or hashed host names).
    public var knownHostsFile: String?
    public var trustOnFirstUse: Bool
    /// Set while an operator re-pins a changed host key (`tls update --host_key_fingerprint`):
    /// `pinnedFingerprint` alone decides, a different key remembered in the store does not refuse
    /// the connection, and nothing is written to the store (the caller replaces the pin once
    /// everything else has succeeded).
    public var replacesRememberedKey: Bool

    public init(pinnedFingerprint: String? = nil, knownHostsFile: String? = nil, trustOnFirstUse: Bool = false,
                replacesRememberedKey: Bool = false) {
        self.pinnedFingerprint = pinnedFingerprint
        self.knownHostsFile = knownHostsFile
        self.trustOnFirstUse = trustOnFirstUse
        self.replacesRememberedKey = replacesRememberedKey && pinnedFingerprint != nil
    }

    func validate() throws {
        if let pinnedFingerprint, HostKeyFingerprint(parsing: pinnedFingerprint) == nil {
            throw ConnectionError.invalidArgument(
                field: "field `host-key`",
                problem: "\"\(pinnedFingerprint)\" is not a SHA-256 fingerprint; give it as ssh-keygen -l prints it, e.g. SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8")
        }
    }
}

/// Remembers the host key fingerprint trusted for each host (trust on first
/// use). The inventory implements it; `InMemoryHostKeyStore` serves tests.
public protocol HostKeyStore: AnyObject, Sendable {
    /// The fingerprint (`SHA256:<base64>`) pinned for `host`:`port`, if any.
    func pinnedFingerprint(host: String, port: Int) throws -> String?
    /// Pins `fingerprint` for `host`:`port`.
    func pin(host: String, port: Int, fingerprint: String) throws
}
