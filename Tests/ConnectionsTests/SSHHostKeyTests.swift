import Foundation
import OGConnections
import OGTestSupport
import Testing

/// Host key verification against a real sshd: nothing is sent to a server that is not vouched for.
struct SSHHostKeyTests {
    @Test func unknownHostKeyIsPinnedOnFirstUse() throws {
        let server = try SSHServerFixture.start()
        let store = InMemoryHostKeyStore()
        let connection = try server.connect(hostKeyPolicy: HostKeyPolicy(trustOnFirstUse: true), hostKeyStore: store)
        #expect(connection.hostKeyFingerprint == server.hostKeyFingerprint)
        #expect(store.pinnedFingerprint(host: server.host, port: Int(server.port)) == server.hostKeyFingerprint)
        // The second connection is checked against the pin.
        _ = try server.connect(hostKeyPolicy: HostKeyPolicy(trustOnFirstUse: false), hostKeyStore: store)
    }

    @Test func changedHostKeyIsRefusedNamingBothFingerprints() throws {
        let server = try SSHServerFixture.start()
        let store = InMemoryHostKeyStore()
        _ = try server.connect(hostKeyPolicy: HostKeyPolicy(trustOnFirstUse: true), hostKeyStore: store)
        let original = server.hostKeyFingerprint
        try server.rotateHostKey()
        #expect(server.hostKeyFingerprint != original)

        let error = connectionError {
            _ = try server.connect(hostKeyPolicy: HostKeyPolicy(trustOnFirstUse: true), hostKeyStore: store)
        }
        let host = "\(server.host):\(server.port)"
        #expect(error == .hostKeyRejected(host: host, expectedFingerprint: original, presentedFingerprint: server.hostKeyFingerprint))
        let message = error?.description ?? ""
        #expect(message.contains(original) && message.contains(server.hostKeyFingerprint))
        #expect(message.contains("replace the pinned fingerprint"))
        // Trust on first use never overwrites an existing pin.
        #expect(store.pinnedFingerprint(host: server.host, port: Int(server.port)) == original)
    }

    @Test func unknownHostKeyIsRefusedWithoutTrustOnFirstUse() throws {
        let server = try SSHServerFixture.start()
        let store = InMemoryHostKeyStore()
        let error = connectionError { _ = try server.connect(hostKeyPolicy: HostKeyPolicy(), hostKeyStore: store) }
        #expect(error == .hostKeyUnknown(host: "\(server.host):\(server.port)", presentedFingerprint: server.hostKeyFingerprint))
        #expect(error?.description.contains("ssh-keygen -lf") == true)
        #expect(store.pinnedFingerprint(host: server.host, port: Int(server.port)) == nil)
    }

    @Test func wrongPinnedFingerprintIsRefused() throws {
        let server = try SSHServerFixture.start()
        let wrong = "SHA256:" + String(repeating: "A", count: 43)
        let error = connectionError { _ = try server.connect(hostKeyPolicy: HostKeyPolicy(pinnedFingerprint: wrong)) }
        #expect(error == .hostKeyRejected(host: "\(server.host):\(server.port)", expectedFingerprint: wrong,
                                          presentedFingerprint: server.hostKeyFingerprint))
    }

    @Test func knownHostsFileVouchesForTheServer() throws {
        let server = try SSHServerFixture.start()
        let knownHosts = server.directory.file("known_hosts")
        try (server.knownHostsLine + "\n").write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let connection = try server.connect(hostKeyPolicy: HostKeyPolicy(knownHostsFile: knownHosts))
        #expect(connection.hostKeyFingerprint == server.hostKeyFingerprint)
    }

    @Test func knownHostsEntryForAnotherKeyIsRefusedNamingBothFingerprints() throws {
        let server = try SSHServerFixture.start()
        let knownHosts = server.directory.file("known_hosts")
        try (server.knownHostsLine + "\n").write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let recorded = server.hostKeyFingerprint
        try server.rotateHostKey()
        let error = connectionError { _ = try server.connect(hostKeyPolicy: HostKeyPolicy(knownHostsFile: knownHosts)) }
        #expect(error == .hostKeyRejected(host: "\(server.host):\(server.port)", expectedFingerprint: recorded,
                                          presentedFingerprint: server.hostKeyFingerprint))
    }

    @Test func hostMissingFromKnownHostsIsUnknown() throws {
        let server = try SSHServerFixture.start()
        let knownHosts = server.directory.file("known_hosts")
        try "[127.0.0.1]:1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
            .write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let error = connectionError { _ = try server.connect(hostKeyPolicy: HostKeyPolicy(knownHostsFile: knownHosts)) }
        #expect(error == .hostKeyUnknown(host: "\(server.host):\(server.port)", presentedFingerprint: server.hostKeyFingerprint))
    }

    @Test func refusedHostNeverSeesThePassword() throws {
        let server = try SSHServerFixture.start()
        _ = connectionError { _ = try server.connect(hostKeyPolicy: HostKeyPolicy(), hostKeyStore: InMemoryHostKeyStore()) }
        server.stop()
        let log = try String(contentsOfFile: server.logPath, encoding: .utf8)
        #expect(!log.contains("password for \(server.user)"), "sshd saw an authentication attempt:\n\(log)")
        #expect(!log.contains("Accepted"))
    }
}
