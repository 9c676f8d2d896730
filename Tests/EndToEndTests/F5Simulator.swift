import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Tests/Fixtures/f5/icontrol_sim.py — the iControl REST test server standing
/// in for a BIG-IP — on free loopback ports with a private state directory,
/// stopped by PID when the value goes. Its management listener serves a
/// certificate for localhost issued by `pki`; each virtual server listens on
/// its own port and serves whatever its client-SSL profile holds.
final class F5Simulator: @unchecked Sendable {
    let directory: TemporaryDirectory
    let pki: TestPKI
    let port: UInt16
    let daemon: SpawnedDaemon
    /// Virtual server full path -> the loopback port its TLS listener uses.
    let virtualPorts: [String: UInt16]
    static let user = "og-admin"
    static let password = "f5-pass-3c9e1a7b"

    static var script: String { BuiltProducts.repositoryRoot + "/Tests/Fixtures/f5/icontrol_sim.py" }

    /// A virtual server of the simulated device: its full path and the profiles it uses.
    struct Virtual {
        let name: String
        let profiles: [String]
    }

    /// A client-SSL profile holding the pair `pair` (installed as `pair.crt`/`pair.key` in its partition).
    struct Profile {
        let name: String
        let pair: String
        var serverName: String = ""
        var sniDefault = true
    }

    /// Starts the simulator with `profiles` (each pair issued from `pki` for `names`) on `virtuals`,
    /// the extra `partitions` and, when `deviceGroup` is given, a sync-failover group of that name.
    init(pki: TestPKI, names: [String] = ["www.example.test"], profiles: [Profile] = [Profile(name: "/Common/web-ssl", pair: "/Common/web")],
         virtuals: [Virtual] = [Virtual(name: "/Common/vs-web", profiles: ["/Common/web-ssl", "/Common/http"])],
         partitions: [String] = ["Tenant"], deviceGroup: String? = nil, converges: Bool = true,
         password: String = F5Simulator.password) throws {
        self.pki = pki
        directory = try TemporaryDirectory("og-f5")
        let (managementCertificate, managementKey) = try pki.issue("f5-mgmt", dnsNames: ["localhost"])
        let managementChain = pki.file("f5-mgmt-fullchain.pem")
        try LocalFiles.writeAtomically(managementChain, contents: try LocalFiles.read(managementCertificate) + LocalFiles.read(pki.file("int.pem")))
        var objects: [[String: Any]] = []
        for pair in Set(profiles.map(\.pair)) {
            let file = pair.split(separator: "/").joined(separator: "-")
            let (certificate, key) = try pki.issue(file, dnsNames: names, key: "rsa")
            objects.append(["kind": "cert", "name": pair + ".crt", "file": certificate])
            objects.append(["kind": "key", "name": pair + ".key", "file": key])
        }
        var ports: [String: UInt16] = [:]
        for virtual in virtuals { ports[virtual.name] = Loopback.freePort() }
        virtualPorts = ports
        var configuration: [String: Any] = [
            "users": [Self.user: password], "partitions": partitions, "version": "17.1.0", "objects": objects,
            "profiles": profiles.map { profile -> [String: Any] in
                ["name": profile.name, "serverName": profile.serverName, "sniDefault": profile.sniDefault,
                 "certKeyChain": [["name": "default", "cert": profile.pair + ".crt", "key": profile.pair + ".key"]]]
            },
            "virtuals": virtuals.map { ["name": $0.name, "port": Int(ports[$0.name]!), "profiles": $0.profiles] },
        ]
        if let deviceGroup {
            configuration["device_group"] = ["name": deviceGroup, "devices": ["bigip-a.example.test", "bigip-b.example.test"],
                                             "converge": converges, "sync_seconds": 0.3]
        }
        let configPath = directory.file("config.json")
        try LocalFiles.writeAtomically(configPath, contents: Array(try JSONSerialization.data(withJSONObject: configuration)))
        let python = try #require(ProcessRunner.findExecutable("python3"),
                                  "python3 is missing: install the Debian package python3 (the F5 test server is a Python script)")
        port = Loopback.freePort()
        daemon = try SpawnedDaemon(python, [Self.script, String(port), managementChain, managementKey, configPath, directory.file("state")],
                                   port: port, logPath: directory.file("icontrol.log"))
        for virtualPort in ports.values {
            try #require(Loopback.waitForListener(port: virtualPort, timeout: 10), "virtual server port \(virtualPort) did not listen")
        }
    }

    deinit { daemon.stop() }

    /// The anchor that verifies the management listener (the test PKI's root).
    var trustAnchor: String { pki.file("root.pem") }

    /// The simulator's whole state (objects, profiles, sync status, counters), from its /sim/state control.
    func state() throws -> [String: Any] {
        try control("state", nil)
    }

    /// The next transaction commit (after `after` that succeed) fails with `message`, changing nothing.
    func failNextCommit(_ message: String, after: Int = 0) throws {
        _ = try control("fail-commit", ["message": message, "after": after])
    }

    /// GETs under `prefix` answer `body` verbatim with `status`.
    func answerHostile(prefix: String, body: String, status: Int = 200) throws {
        _ = try control("hostile", ["prefix": prefix, "body": body, "status": status])
    }

    /// Ends every hostile answer.
    func calm() throws { _ = try control("calm", [:]) }

    /// Calls a /sim/ control with Python's urllib (verifying the listener against the test root).
    private func control(_ name: String, _ body: [String: Any]?) throws -> [String: Any] {
        let script = "import json,ssl,sys,urllib.request;c=ssl.create_default_context(cafile=sys.argv[2]);"
            + "d=sys.stdin.buffer.read();r=urllib.request.Request(sys.argv[1],data=d or None,method='POST' if d else 'GET');"
            + "sys.stdout.write(urllib.request.urlopen(r,context=c).read().decode())"
        let input = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) } ?? []
        let output = try ProcessRunner.run("python3", ["-c", script, "https://localhost:\(port)/sim/\(name)", trustAnchor],
                                           standardInput: input)
        try #require(output.exitStatus == 0, "simulator control \(name): \(output.standardErrorText)")
        return try #require(try JSONSerialization.jsonObject(with: Data(output.standardOutput)) as? [String: Any])
    }

    /// SHA-256 (lowercase hex) of the leaf the virtual server `virtual` serves now, read with openssl s_client.
    func servedFingerprint(_ virtual: String, serverName: String = "www.example.test") throws -> String {
        let port = try #require(virtualPorts[virtual])
        let handshake = try ProcessRunner.run("openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", serverName],
                                              standardInput: [])
        let text = handshake.standardOutputText
        guard let begin = text.range(of: "-----BEGIN CERTIFICATE-----"), let end = text.range(of: "-----END CERTIFICATE-----") else {
            Issue.record("no certificate from \(virtual): \(handshake.standardErrorText)")
            return ""
        }
        let leaf = directory.file("served.pem")
        try LocalFiles.writeAtomically(leaf, contents: Array(text[begin.lowerBound..<end.upperBound].utf8) + [0x0A])
        return try pki.fingerprint(leaf)
    }
}
