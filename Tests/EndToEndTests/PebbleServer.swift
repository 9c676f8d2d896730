import Foundation
import OGBasics
import OGTestSupport
import Testing

/// A real Pebble (Debian's `pebble` package) for one test, with
/// `pebble-challtestsrv` as its DNS resolver (every name → 127.0.0.1), both on
/// free loopback ports in a private directory and stopped by PID. Pebble's
/// own HTTPS certificate is made here; `caBundle` is what og-host must trust.
/// Pebble's nonce rejection and validation delays stay on unless a test turns
/// them off through `environment`.
final class PebbleServer: @unchecked Sendable {
    /// Pebble's example EAB key (/usr/share/doc/pebble/examples/pebble-config-external-account-bindings.json).
    static let eabKeyID = "kid-1"
    static let eabHMACKey = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"

    let directory: TemporaryDirectory
    let port: UInt16
    let managementPort: UInt16
    let dnsPort: UInt16
    private var pebble: SpawnedDaemon?
    private var challengeServer: SpawnedDaemon?

    var directoryURL: String { "https://127.0.0.1:\(port)/dir" }
    var caBundle: String { directory.file("pebble-tls.pem") }

    /// - Parameters:
    ///   - httpPort: where Pebble connects for http-01 (the web server's plain HTTP port).
    ///   - dnsServer: Pebble's resolver; challtestsrv (started here) when nil.
    ///   - certificateValidity: seconds the certificates Pebble issues are valid (Pebble's default: 5 years).
    init(httpPort: UInt16, requireEAB: Bool = true, dnsServer: String? = nil, environment: [String: String] = [:],
         certificateValidity: Int? = nil) throws {
        for binary in ["/usr/bin/pebble", "/usr/bin/pebble-challtestsrv"] {
            try #require(FileManager.default.isExecutableFile(atPath: binary), "\(binary) is missing: install the Debian package pebble")
        }
        directory = try TemporaryDirectory("og-pebble")
        port = Loopback.freePort()
        managementPort = Loopback.freePort()
        dnsPort = Loopback.freePort()
        let tls = try ProcessRunner.run("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-keyout", directory.file("pebble-tls.key"), "-out", caBundle, "-subj", "/CN=pebble test server",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        try #require(tls.exitStatus == 0, "openssl: \(tls.standardErrorText)")
        var settings: [String: Any] = [
            "listenAddress": "127.0.0.1:\(port)", "managementListenAddress": "127.0.0.1:\(managementPort)",
            "certificate": caBundle, "privateKey": directory.file("pebble-tls.key"),
            "httpPort": Int(httpPort), "tlsPort": Int(Loopback.freePort()), "ocspResponderURL": "",
            "externalAccountBindingRequired": requireEAB,
        ]
        if requireEAB { settings["externalAccountMACKeys"] = [Self.eabKeyID: Self.eabHMACKey] }
        if let certificateValidity { settings["certificateValidityPeriod"] = certificateValidity }
        let config = try JSONSerialization.data(withJSONObject: ["pebble": settings], options: [.sortedKeys])
        try LocalFiles.writeAtomically(directory.file("pebble.json"), contents: Array(config))

        var resolver = dnsServer
        if resolver == nil {
            let managementPort = Loopback.freePort()
            challengeServer = try SpawnedDaemon("/usr/bin/pebble-challtestsrv", [
                "-dns01", "127.0.0.1:\(dnsPort)", "-http01", "", "-https01", "", "-tlsalpn01", "",
                "-management", "127.0.0.1:\(managementPort)", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
            ], port: managementPort, logPath: directory.file("challtestsrv.log"))
            resolver = "127.0.0.1:\(dnsPort)"
        }
        let variables = ["PEBBLE_WFE_NONCEREJECT": "15"].merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }.sorted()
        pebble = try SpawnedDaemon("/usr/bin/env", variables + [
            "/usr/bin/pebble", "-config", directory.file("pebble.json"), "-dnsserver", resolver!,
        ], port: port, logPath: directory.file("pebble.log"))
    }

    deinit { stop() }

    func stop() {
        pebble?.stop()
        pebble = nil
        challengeServer?.stop()
        challengeServer = nil
    }

    var log: String { (try? String(contentsOfFile: directory.file("pebble.log"), encoding: .utf8)) ?? "" }

    /// Pebble's root `index` (made fresh at every start; 1… are the alternates), saved to a file for `og-host ca add`.
    func rootFile(_ index: Int = 0) throws -> String {
        let path = directory.file("pebble-root-\(index).pem")
        let fetched = try ProcessRunner.run("curl", ["-sS", "--cacert", caBundle, "-o", path,
                                                     "https://127.0.0.1:\(managementPort)/roots/\(index)"])
        try #require(fetched.exitStatus == 0, "fetching Pebble's root: \(fetched.standardErrorText)")
        return path
    }
}
