import Foundation
import OGBasics
import OGConnections
import OGCredentials
import OGTestSupport
import Testing

/// Tests/Fixtures/vault/vault_sim.py on a free loopback port with a private
/// configuration, stopped by PID when the fixture goes.
final class VaultSimulatorFixture: @unchecked Sendable {
    let directory: TemporaryDirectory
    let port: UInt16
    let daemon: SpawnedDaemon
    let url: String
    private let client: HTTPClient

    static var script: String { BuiltProducts.repositoryRoot + "/Tests/Fixtures/vault/vault_sim.py" }

    static func python() throws -> String {
        try #require(ProcessRunner.findExecutable("python3") != nil,
                     "python3 is missing: install the Debian package python3 (the Vault test server is a Python script)")
        return ProcessRunner.findExecutable("python3")!
    }

    /// `configuration` is the simulator's JSON configuration (see the script's header).
    init(_ configuration: [String: Any]) throws {
        directory = try TemporaryDirectory("og-vault")
        let configPath = directory.file("config.json")
        try JSONSerialization.data(withJSONObject: configuration).write(to: URL(fileURLWithPath: configPath))
        port = Loopback.freePort()
        daemon = try SpawnedDaemon(try Self.python(), [Self.script, String(port), configPath], port: port,
                                   logPath: directory.file("vault.log"))
        url = "http://127.0.0.1:\(port)"
        client = try HTTPClient(HTTPClientConfiguration(trust: .system, connectAttempts: 1))
    }

    deinit { daemon.stop() }

    /// The standard configuration most tests use: KV v2 at secret/, KV v1 at kv/,
    /// a non-expiring token, an AppRole, and the secrets given.
    static func standard(namespace: String? = nil, tokenTTL: Int = 0, roleTTL: Int = 300,
                         secrets: [String: [String: String]]) throws -> VaultSimulatorFixture {
        try VaultSimulatorFixture([
            "namespace": namespace as Any, "mounts": ["secret/": 2, "kv/": 1], "secrets": secrets,
            "tokens": [["token": VaultTestValues.token, "ttl": tokenTTL, "renewable": tokenTTL > 0]],
            "approles": [["role_id": VaultTestValues.roleID, "secret_ids": [VaultTestValues.secretID], "token_ttl": roleTTL,
                          "renewable": true]],
        ])
    }

    func send() -> StoreHTTP.Send {
        let client = self.client
        return { request in
            let response = try client.send(HTTPRequest(method: request.method, url: request.url,
                                                       headers: request.headers.map { ($0.name, $0.value.exposedString()) },
                                                       body: request.body?.withUnsafeBytes { Array($0) } ?? []))
            return StoreHTTP.Response(status: response.status, body: Secret(bytes: response.body))
        }
    }

    private func simulator(_ path: String, _ body: [String: Any]?) throws -> [String: Any] {
        let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) } ?? []
        let response = try client.send(HTTPRequest(method: body == nil ? "GET" : "POST", url: "\(url)/sim/\(path)", body: bytes))
        return try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    /// A fresh response-wrapping token around `secretID`.
    func wrap(_ secretID: String) throws -> String {
        try #require(try simulator("wrap", ["secret_id": secretID])["token"] as? String)
    }

    /// Ends `token` (every client token when nil) now.
    func expire(_ token: String? = nil) throws {
        _ = try simulator("expire", token.map { ["token": $0] } ?? [:])
    }

    func stats() throws -> [String: Int] {
        try simulator("stats", nil).compactMapValues { $0 as? Int }
    }
}

/// Secret values the Vault tests use, distinct enough to search for in output.
enum VaultTestValues {
    static let token = "hvs.token-7c1d9e5a2b"
    static let roleID = "role-og-4f8a"
    static let secretID = "secret-id-9b3e6d2c"
    static let password = "vault-pass-5e2f8a1c"
}
