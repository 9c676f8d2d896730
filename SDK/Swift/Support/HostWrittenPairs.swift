/// The certificate and key files an install plan asks the host to fill from
/// the material it installs, remembered from `planInstall` to the
/// `configTest` of the same install, so a plugin's key/certificate check need
/// not run openssl on the endpoint for that pair.
///
/// Why that pair needs no endpoint check: before it asks for a plan the host
/// has proved that the key belongs to the certificate, and it writes both
/// files of the plan (`FileChange.fullChainPEM`/`certificatePEM` and
/// `privateKeyPEM`) from that material and reads them back before the
/// configuration test; it calls `planInstall` and `configTest` of one install
/// in one process, in that order.
///
/// What keeps it honest: a remembered pair serves one configuration test (the
/// next `take` removes it), a dry run is not remembered, and it counts only
/// while the certificate file still holds the planned leaf, which the host
/// parses (`readCertificates(atPath:)`: no key byte reaches the plugin). Any
/// other pair -- another site's, a restart's, files a rollback restored -- is
/// checked on the endpoint as before; other sites' keys never leave it.
public final class HostWrittenPairs: Sendable {
    public struct Pair: Sendable, Hashable {
        public var certificatePath: String
        public var keyPath: String

        public init(certificatePath: String, keyPath: String) {
            self.certificatePath = certificatePath
            self.keyPath = keyPath
        }
    }

    private struct Planned: Sendable {
        var pair: Pair
        var fingerprint: String
    }

    private let planned = Locked([String: Planned]())

    public init() {}

    /// Called by `planInstall` with the files its plan has the host write.
    public func remember(certificatePath: String, keyPath: String, for request: InstallRequest, on endpoint: Endpoint) {
        guard !request.isDryRun, !request.certificate.sha256Fingerprint.isEmpty else { return }
        let entry = Planned(pair: Pair(certificatePath: certificatePath, keyPath: keyPath),
                            fingerprint: request.certificate.sha256Fingerprint.lowercased())
        planned.withLock { $0[Self.key(endpoint)] = entry }
    }

    /// The pair the last plan for `endpoint` had the host write, if its
    /// certificate file still holds the planned leaf; forgotten either way.
    public func take(for endpoint: Endpoint, host: HostServices) -> Pair? {
        guard let entry = planned.withLock({ $0.removeValue(forKey: Self.key(endpoint)) }) else { return nil }
        guard let leaf = try? host.readCertificates(atPath: entry.pair.certificatePath).first,
              leaf.sha256Fingerprint.lowercased() == entry.fingerprint else { return nil }
        return entry.pair
    }

    private static func key(_ endpoint: Endpoint) -> String { endpoint.type + "\u{0}" + endpoint.name }
}
