import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The Vault and CyberArk CCP test servers (Tests/Fixtures/vault, cyberark)
/// started for an end-to-end test on free loopback ports, stopped by PID.
final class CredstoreServer: @unchecked Sendable {
    let directory: TemporaryDirectory
    let port: UInt16
    let daemon: SpawnedDaemon
    let url: String

    private init(script: String, arguments: (String, UInt16) -> [String], configuration: [String: Any], scheme: String,
                 host: String) throws {
        directory = try TemporaryDirectory("og-credstore-server")
        let configPath = directory.file("config.json")
        try LocalFiles.writeAtomically(configPath, contents: Array(try JSONSerialization.data(withJSONObject: configuration)))
        let python = try #require(ProcessRunner.findExecutable("python3"),
                                  "python3 is missing: install the Debian package python3 (the credential store test servers are Python scripts)")
        port = Loopback.freePort()
        daemon = try SpawnedDaemon(python, [BuiltProducts.repositoryRoot + "/Tests/Fixtures/\(script)"] + arguments(configPath, port),
                                   port: port, logPath: directory.file("server.log"))
        url = "\(scheme)://\(host):\(port)"
    }

    deinit { daemon.stop() }

    /// vault_sim.py over HTTP with the given secrets, the token and AppRole of `CredstoreSecrets`.
    static func vault(secrets: [String: [String: String]]) throws -> CredstoreServer {
        try CredstoreServer(script: "vault/vault_sim.py", arguments: { [String($1), $0] }, configuration: [
            "namespace": NSNull(), "mounts": ["secret/": 2, "kv/": 1], "secrets": secrets,
            "tokens": [["token": CredstoreSecrets.vaultToken, "ttl": 0]],
            "approles": [["role_id": "og-role", "secret_ids": [CredstoreSecrets.secretID], "token_ttl": 300, "renewable": true]],
        ], scheme: "http", host: "127.0.0.1")
    }

    /// ccp_sim.py over TLS with a certificate from `pki` for localhost; with
    /// `clientCA`, TLS requires a client certificate issued under it.
    static func cyberArk(pki: TestPKI, accounts: [[String: String]], clientCA: String? = nil) throws -> CredstoreServer {
        let (certificate, key) = try pki.issue("ccp", dnsNames: ["localhost"])
        let fullChain = pki.file("ccp-fullchain.pem")
        try LocalFiles.writeAtomically(fullChain, contents: try LocalFiles.read(certificate) + LocalFiles.read(pki.file("int.pem")))
        return try CredstoreServer(script: "cyberark/ccp_sim.py", arguments: { config, port in
            [String(port), config, fullChain, key] + (clientCA.map { [$0, "required"] } ?? [])
        }, configuration: ["applications": ["og-app": ["allowed_machines": ["127.0.0.1"]]], "accounts": accounts],
           scheme: "https", host: "localhost")
    }

    /// Calls the Vault test server's own control API (not Vault's), with curl-free Python.
    func wrapSecretID(_ secretID: String) throws -> String {
        let script = "import json,sys,urllib.request;print(json.load(urllib.request.urlopen(urllib.request.Request("
            + "sys.argv[1]+'/sim/wrap',data=json.dumps({'secret_id':sys.stdin.readline().strip()}).encode(),method='POST')))['token'])"
        let output = try ProcessRunner.run("python3", ["-c", script, url], standardInput: Array("\(secretID)\n".utf8))
        try #require(output.exitStatus == 0, "wrap: \(output.standardErrorText)")
        return output.standardOutputText.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Secret values of the end-to-end credential store scenarios; the scans look for each.
enum CredstoreSecrets {
    static let vaultToken = "hvs.e2e-token-61f0c3"
    static let secretID = "e2e-secret-id-8d27b4"
    static let certificatePassword = "p12-pass-0a9c5e"
    static let localPassword = "local-pass-2b7d1f"
}
