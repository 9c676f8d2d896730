import Foundation
import OGBasics
import OGConnections
@testable import OGHost
import OGPlugins
import OGTestSupport
import Testing

/// Endpoint sessions draw their SSH connection from the process's pool
/// (`SSHConnectionPool.current`) and give it back when they end, so a process
/// running jobs one after another on endpoints reached the same way logs in once.
@Suite struct EndpointSessionPoolTests {
    @Test func sessionsOneAfterAnotherShareOneLoginWhenThePoolIsOnAndNotWhenItIsOff() throws {
        let server = try SSHServerFixture.start()
        let directory = try TemporaryDirectory("og-session-pool")
        let gateway = try Gateway(dataDirectory: directory.file("data"), pluginDirectories: [],
                                  describer: { .failure(.openFailed(path: $0, reason: "no plugins in this test")) })
        let spec = ConnectionSpec(type: .ssh, host: server.host, port: Int(server.port), user: server.user,
                                  authentication: .privateKey(path: server.clientKeyPath, passphrase: nil),
                                  hostKeyPolicy: HostKeyPolicy(pinnedFingerprint: server.hostKeyFingerprint))
        func useSessions(_ count: Int) throws -> [ObjectIdentifier] {
            try (0..<count).map { index in
                let endpoint = EndpointConfig(type: "pem", name: "e\(index)", connectionType: .ssh, host: server.host,
                                              port: Int(server.port), options: [])
                let session = try EndpointSession.open(spec, endpoint: endpoint, secretOptions: [:], gateway: gateway)
                _ = try session.stat(server.workDirectory)
                return ObjectIdentifier(session.connection)
            }
        }
        func logins() throws -> Int {
            String(decoding: try LocalFiles.read(server.logPath, limit: .document), as: UTF8.self)
                .components(separatedBy: "Accepted publickey for").count - 1
        }

        let pool = SSHConnectionPool()
        pool.enable()
        let shared = try SSHConnectionPool.$current.withValue(pool) { try useSessions(3) }
        #expect(Set(shared).count == 1, "three sessions, one connection")
        #expect(try logins() == 1)
        #expect(pool.statistics.reused == 2)
        pool.drain()

        // Off (every one-shot command): each session opens its own and closes it at its end.
        _ = try SSHConnectionPool.$current.withValue(SSHConnectionPool()) { try useSessions(2) }
        #expect(try logins() == 3)
    }
}
