import Foundation
import OGBasics
@testable import OGConnections
import OGTestSupport
import Testing

/// SSH connections kept between uses (`SSHConnectionPool`), against a real
/// sshd: what the server logs (one "Accepted" line per login, one
/// "Received disconnect" per goodbye) proves how many connections there were.
/// Each test has a private pool, so tests running at the same time do not share one.
struct SSHConnectionPoolTests {
    @Test func usesOneAfterAnotherWithTheSameIdentityShareOneLogin() throws {
        let server = try SSHServerFixture.start()
        let pool = enabledPool()
        defer { pool.drain() }
        let spec = server.spec()
        let target = "\(server.workDirectory)/cert.pem"

        var sockets: Set<String> = []
        for round in 1...3 {
            let connection = try pool.checkOut(spec, hostKeyStore: nil)
            try connection.writeFileAtomically(target, contents: Array("round \(round)".utf8), mode: 0o644)
            #expect(try connection.readFile(target) == Array("round \(round)".utf8))
            sockets.insert(try server.clientPortsLoggedIn().last ?? "none")
            connection.endUse()
        }

        let tail = try server.logTail()
        #expect(try server.logins() == 1, "three uses, one login: \(tail)")
        #expect(sockets.count == 1)
        #expect(pool.statistics.opened == 1)
        #expect(pool.statistics.reused == 2)
        #expect(pool.idleCount == 1)
    }

    @Test func aDifferentKeyPortOrPinGetsItsOwnConnection() throws {
        let server = try SSHServerFixture.start()
        let other = try SSHServerFixture.start()
        let pool = enabledPool()
        defer { pool.drain() }
        let key = try server.makeClientKey(.ed25519)
        let base = server.spec(.privateKey(path: server.clientKeyPath, passphrase: nil))
        var otherKey = base
        otherKey.authentication = .privateKey(path: key.privateKeyPath, passphrase: nil)
        var password = base
        password.authentication = .password(server.password)
        var tofu = base
        tofu.hostKeyPolicy = HostKeyPolicy(trustOnFirstUse: true)

        for spec in [base, otherKey, password, tofu, base, otherKey, password, tofu] {
            let connection = try pool.checkOut(spec, hostKeyStore: InMemoryHostKeyStore())
            _ = try connection.stat(server.workDirectory)
            connection.endUse()
        }
        let elsewhere = try pool.checkOut(other.spec(.privateKey(path: other.clientKeyPath, passphrase: nil)), hostKeyStore: nil)
        _ = try elsewhere.stat(other.workDirectory)
        elsewhere.endUse()

        let tail = try server.logTail()
        #expect(try server.logins() == 4, "one login per identity: \(tail)")
        #expect(try other.logins() == 1)
        #expect(pool.statistics.opened == 5)
        #expect(pool.statistics.reused == 4)
    }

    @Test func aConnectionTheServerDroppedWhileIdleIsReplacedAtCheckOut() throws {
        let server = try SSHServerFixture.start()
        let pool = enabledPool()
        defer { pool.drain() }
        let spec = server.spec()
        let first = try pool.checkOut(spec, hostKeyStore: nil)
        _ = try first.stat(server.workDirectory)
        first.endUse()
        #expect(pool.idleCount == 1)

        server.killSessions()
        try waitUntil { server.sessionProcesses().isEmpty }

        let second = try pool.checkOut(spec, hostKeyStore: nil)
        defer { second.endUse() }
        #expect(second !== first)
        try second.writeFileAtomically("\(server.workDirectory)/after.pem", contents: Array("after".utf8), mode: 0o644)
        #expect(try second.readFile("\(server.workDirectory)/after.pem") == Array("after".utf8))
        #expect(pool.statistics.replaced == 1)
        #expect(pool.statistics.opened == 2)
        #expect(try server.logins() == 2)
    }

    @Test func aConnectionThatSawAnErrorIsNotGivenBackButAMissingFileIsNoError() throws {
        let server = try SSHServerFixture.start()
        let pool = enabledPool()
        defer { pool.drain() }
        let spec = server.spec()

        let answered = try pool.checkOut(spec, hostKeyStore: nil)
        #expect(connectionError { _ = try answered.readFile("\(server.workDirectory)/missing.pem") } == .notFound(path: "\(server.workDirectory)/missing.pem"))
        answered.endUse()
        #expect(pool.idleCount == 1, "a file that is not there is an answer, not a failure")

        let failing = try pool.checkOut(spec, hostKeyStore: nil)
        #expect(failing === answered)
        let error = connectionError { _ = try failing.run(["sleep", "5"], standardInput: [], timeout: .milliseconds(300), privileged: false) }
        guard case .timedOut? = error else {
            Issue.record("expected a timeout, got \(String(describing: error))")
            return
        }
        failing.endUse()
        #expect(pool.idleCount == 0)
        #expect(pool.statistics.closedAfterUse == 1)

        let fresh = try pool.checkOut(spec, hostKeyStore: nil)
        defer { fresh.endUse() }
        #expect(fresh !== failing)
        _ = try fresh.stat(server.workDirectory)
        #expect(try server.logins() == 2)
    }

    @Test func aKeptConnectionIsRefusedWhenItsHostKeyNoLongerMatchesThePinStore() throws {
        let server = try SSHServerFixture.start()
        let pool = enabledPool()
        defer { pool.drain() }
        var spec = server.spec()
        spec.hostKeyPolicy = HostKeyPolicy(trustOnFirstUse: true)
        let store = InMemoryHostKeyStore()
        let first = try pool.checkOut(spec, hostKeyStore: store)
        first.endUse()
        #expect(store.pinnedFingerprint(host: server.host, port: Int(server.port)) == server.hostKeyFingerprint)

        // The pin store now remembers another key for the host: neither the kept connection nor a new one may be used.
        store.pin(host: server.host, port: Int(server.port), fingerprint: "SHA256:" + String(repeating: "A", count: 43))
        let error = connectionError { _ = try pool.checkOut(spec, hostKeyStore: store) }
        guard case .hostKeyRejected? = error else {
            Issue.record("expected the host key to be rejected, got \(String(describing: error))")
            return
        }
        #expect(pool.statistics.replaced == 1)
        #expect(pool.idleCount == 0)
    }

    @Test func drainSaysGoodbyeToEveryIdleConnectionAndStopsKeeping() throws {
        let server = try SSHServerFixture.start()
        let pool = enabledPool()
        let spec = server.spec()
        let one = try pool.checkOut(spec, hostKeyStore: nil)
        let two = try pool.checkOut(spec, hostKeyStore: nil)
        #expect(one !== two, "a connection is checked out by one user at a time")
        one.endUse()
        two.endUse()
        #expect(pool.idleCount == 2)

        pool.drain()

        #expect(pool.idleCount == 0)
        #expect(!pool.isEnabled)
        try waitUntil { try server.log().components(separatedBy: "Received disconnect from").count - 1 == 2 }
        let after = try pool.checkOut(spec, hostKeyStore: nil)
        after.endUse()
        #expect(pool.idleCount == 0, "a drained pool keeps nothing")
        #expect(try server.logins() == 3)
    }

    @Test func idleConnectionsAreClosedAfterTheIdleTimeoutAndBoundedPerIdentity() throws {
        let server = try SSHServerFixture.start()
        let pool = SSHConnectionPool()
        pool.enable(.init(maxIdlePerIdentity: 1, maxIdle: 8, idleTimeout: .milliseconds(300)))
        defer { pool.drain() }
        let spec = server.spec()
        let one = try pool.checkOut(spec, hostKeyStore: nil)
        let two = try pool.checkOut(spec, hostKeyStore: nil)
        one.endUse()
        two.endUse()
        #expect(pool.idleCount == 1, "one idle connection per identity")
        #expect(pool.statistics.closedAfterUse == 1)

        try waitUntil { pool.idleCount == 0 }
        try waitUntil { try server.log().components(separatedBy: "Received disconnect from").count - 1 == 2 }
        #expect(pool.statistics.closedIdle == 1)
    }

    @Test func aPoolThatIsOffOrAUseThatMustNotBeKeptClosesAtTheEnd() throws {
        let server = try SSHServerFixture.start()
        let off = SSHConnectionPool()
        for _ in 1...2 {
            let connection = try off.checkOut(server.spec(), hostKeyStore: nil)
            connection.endUse()
        }
        #expect(off.idleCount == 0)
        let on = enabledPool()
        defer { on.drain() }
        let unkept = try on.checkOut(server.spec(), hostKeyStore: nil, keep: false)
        unkept.endUse()
        #expect(on.idleCount == 0)
        #expect(try server.logins() == 3)
    }

    @Test func theIdentityCoversEveryInputAndHoldsNoSecretInTheClear() throws {
        let directory = try TemporaryDirectory("og-pool-identity")
        let keyPath = directory.file("key")
        try LocalFiles.writeAtomically(keyPath, contents: Array("-----BEGIN OPENSSH PRIVATE KEY-----\nkey one\n".utf8), mode: 0o600)
        let pool = SSHConnectionPool()
        let base = ConnectionSpec(type: .ssh, host: "web1", port: 22, user: "deploy",
                                  authentication: .privateKey(path: keyPath, passphrase: "phrase"),
                                  sudo: true, sudoPassword: "sudo-secret",
                                  hostKeyPolicy: HostKeyPolicy(pinnedFingerprint: "SHA256:" + String(repeating: "B", count: 43)))
        func identity(_ spec: ConnectionSpec) throws -> SSHConnectionPool.Identity {
            try #require(SSHConnectionPool.Identity(spec, key: pool.identityKeyForTests))
        }
        let reference = try identity(base)
        #expect(try identity(base) == reference)

        var variants: [String: ConnectionSpec] = [:]
        func vary(_ name: String, _ change: (inout ConnectionSpec) -> Void) {
            var spec = base
            change(&spec)
            variants[name] = spec
        }
        vary("type") { $0.type = .sshWindows }
        vary("host") { $0.host = "web2" }
        vary("port") { $0.port = 2222 }
        vary("user") { $0.user = "other" }
        vary("passphrase") { $0.authentication = .privateKey(path: keyPath, passphrase: "other") }
        vary("no passphrase") { $0.authentication = .privateKey(path: keyPath, passphrase: nil) }
        vary("password") { $0.authentication = .password("phrase") }
        vary("sudo") { $0.sudo = false }
        vary("sudo password") { $0.sudoPassword = "other" }
        vary("no sudo password") { $0.sudoPassword = nil }
        vary("pin") { $0.hostKeyPolicy.pinnedFingerprint = "SHA256:" + String(repeating: "C", count: 43) }
        vary("known hosts") { $0.hostKeyPolicy.knownHostsFile = "/etc/ssh/ssh_known_hosts" }
        vary("trust on first use") { $0.hostKeyPolicy.trustOnFirstUse = true }
        vary("re-pin") { $0.hostKeyPolicy.replacesRememberedKey = true }
        vary("algorithms") { $0.sshAlgorithms = try! SSHAlgorithms(legacy: "ssh-rsa") }
        vary("connect timeout") { $0.connectTimeout = .seconds(3) }
        vary("operation timeout") { $0.operationTimeout = .seconds(3) }
        vary("keepalive") { $0.keepaliveInterval = .seconds(3) }
        for (name, spec) in variants {
            #expect(try identity(spec) != reference, "\(name) must change the identity")
        }

        // The key file's bytes are part of it: the same path holding another key is another identity.
        try LocalFiles.writeAtomically(keyPath, contents: Array("-----BEGIN OPENSSH PRIVATE KEY-----\nkey two\n".utf8), mode: 0o600)
        #expect(try identity(base) != reference)
        // An unreadable key cannot be compared: never kept.
        var missing = base
        missing.authentication = .privateKey(path: directory.file("absent"), passphrase: nil)
        #expect(SSHConnectionPool.Identity(missing, key: pool.identityKeyForTests) == nil)

        // Secrets appear only as a keyed hash, whose key differs per pool (per process).
        let printed = String(describing: reference) + String(reflecting: reference)
        for secret in ["phrase", "sudo-secret", "key one"] { #expect(!printed.contains(secret)) }
        let elsewhere = try #require(SSHConnectionPool.Identity(base, key: SSHConnectionPool().identityKeyForTests))
        #expect(elsewhere.secrets != (try identity(base)).secrets)
        #expect(reference.secrets.count == 32)
    }

    // MARK: - Helpers

    private func enabledPool() -> SSHConnectionPool {
        let pool = SSHConnectionPool()
        pool.enable()
        return pool
    }

    private func waitUntil(_ condition: () throws -> Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let end = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < end {
            if try condition() { return }
            usleep(20_000)
        }
        Issue.record("the condition did not become true within 10 s", sourceLocation: sourceLocation)
    }
}

extension SSHServerFixture {
    /// What `EndpointSession` would give the pool for this server: the password login, host key pinned.
    func spec(_ authentication: ConnectionAuthentication? = nil) -> ConnectionSpec {
        ConnectionSpec(type: .ssh, host: host, port: Int(port), user: user, authentication: authentication ?? .password(password),
                       hostKeyPolicy: HostKeyPolicy(pinnedFingerprint: hostKeyFingerprint))
    }

    func log() throws -> String { String(decoding: try LocalFiles.read(logPath, limit: .document), as: UTF8.self) }

    /// Logins the server accepted (LogLevel VERBOSE logs one "Accepted <method> for" line each).
    func logins() throws -> Int {
        let log = try log()
        return log.components(separatedBy: "Accepted password for").count - 1 + log.components(separatedBy: "Accepted publickey for").count - 1
    }

    /// The client port of every accepted login, in order.
    func clientPortsLoggedIn() throws -> [String] {
        try log().split(separator: "\n").filter { $0.contains("Accepted ") && $0.contains(" port ") }.map {
            String($0.components(separatedBy: " port ")[1].prefix { $0.isNumber })
        }
    }

    func logTail() throws -> String { String(try log().suffix(2000)) }

    /// Processes serving client connections now.
    func sessionProcesses() -> [Int32] {
        let listener = sshdProcessID
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == listener ? pid : nil
        }
    }
}
