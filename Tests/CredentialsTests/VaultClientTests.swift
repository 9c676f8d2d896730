import Foundation
import OGBasics
import OGCredentials
import OGTestSupport
import Testing

/// The Vault client against the Vault test server: every login, both KV
/// versions, token caching, renewal, expiry and the errors an operator sees.
@Suite struct VaultClientTests {
    static let secrets: [String: [String: String]] = [
        "secret/og/web": ["username": "deploy", "password": VaultTestValues.password],
        "kv/og/db": ["username": "dbadmin", "private_key_path": "/etc/og/keys/db", "pass_phrase": "kp-1"],
        "secret/og/both": ["username": "x", "password": "p", "private_key_path": "/k"],
        "secret/og/nouser": ["password": "p"],
    ]

    func client(_ vault: VaultSimulatorFixture, _ settings: VaultSettings, secret: String?,
                cache: VaultTokenCache = VaultTokenCache()) -> VaultClient {
        VaultClient(storeName: "vault1", settings: settings, storedSecret: secret.map { Secret($0) }, send: vault.send(), cache: cache)
    }

    @Test func tokenAuthReadsKVVersion2AndVersion1() throws {
        let vault = try VaultSimulatorFixture.standard(secrets: Self.secrets)
        let v2 = client(vault, VaultSettings(url: vault.url, authType: .token, rootPath: "secret/og"), secret: VaultTestValues.token)
        #expect(try v2.credential(id: "web") == .password(username: "deploy", Secret(VaultTestValues.password)))
        let v1 = client(vault, VaultSettings(url: vault.url, authType: .token, rootPath: "kv/og"), secret: VaultTestValues.token)
        #expect(try v1.credential(id: "db") == .privateKey(username: "dbadmin", path: "/etc/og/keys/db", passphrase: Secret("kp-1")))
    }

    @Test func appRoleSecretLogsInOnceAndReusesTheCachedToken() throws {
        let vault = try VaultSimulatorFixture.standard(secrets: Self.secrets)
        let settings = VaultSettings(url: vault.url, authType: .appRoleSecret, roleID: VaultTestValues.roleID, rootPath: "secret/og")
        let cache = VaultTokenCache()
        _ = try client(vault, settings, secret: VaultTestValues.secretID, cache: cache).credential(id: "web")
        _ = try client(vault, settings, secret: VaultTestValues.secretID, cache: cache).credential(id: "/web/")
        let stats = try vault.stats()
        #expect(stats["logins"] == 1)
        #expect(stats["reads"] == 2)
    }

    @Test func appRoleFileUnwrapsAWrappedSecretIDAtLogin() throws {
        let vault = try VaultSimulatorFixture.standard(secrets: Self.secrets)
        let file = vault.directory.file("secret-id")
        try Array("\(try vault.wrap(VaultTestValues.secretID))\n".utf8).withUnsafeBufferPointer {
            try Data(buffer: $0).write(to: URL(fileURLWithPath: file))
        }
        let settings = VaultSettings(url: vault.url, authType: .appRoleFile, roleID: VaultTestValues.roleID, secretFile: file,
                                     appWrapped: true, rootPath: "secret/og")
        #expect(try client(vault, settings, secret: nil).credential(id: "web").username == "deploy")
        #expect(try vault.stats()["unwraps"] == 1)

        // A wrapping token opens once: a second process reading the same file is refused, and told why.
        let error = try #require(throws: ExternalStoreError.self) { try client(vault, settings, secret: nil).credential(id: "web") }
        #expect(error.description.contains("credential store 'vault1': authentication refused"), "\(error)")
        #expect(error.description.contains("can be unwrapped only once"), "\(error)")
    }

    @Test func appRoleFileWithAPlainSecretIDLogsIn() throws {
        let vault = try VaultSimulatorFixture.standard(secrets: Self.secrets)
        let file = vault.directory.file("secret-id")
        try Data("\(VaultTestValues.secretID)\n".utf8).write(to: URL(fileURLWithPath: file))
        let settings = VaultSettings(url: vault.url, authType: .appRoleFile, roleID: VaultTestValues.roleID, secretFile: file,
                                     rootPath: "secret/og")
        #expect(try client(vault, settings, secret: nil).credential(id: "web").username == "deploy")
        #expect(try vault.stats()["unwraps"] == 0)
    }

    @Test func unwrapReturnsTheSecretIDOnce() throws {
        let vault = try VaultSimulatorFixture.standard(secrets: Self.secrets)
        let wrapped = try vault.wrap(VaultTestValues.secretID)
        let vaultClient = client(vault, VaultSettings(url: vault.url, authType: .appRoleSecret, roleID: VaultTestValues.roleID), secret: nil)
        #expect(try vaultClient.unwrapSecretID(Secret(wrapped)) == Secret(VaultTestValues.secretID))
        #expect(throws: ExternalStoreError.self) { try vaultClient.unwrapSecretID(Secret(wrapped)) }
    }

    @Test func wrongRoleIsRefusedNamingTheRoleButNotTheSecretID() throws {
        let vault = try VaultSimulatorFixture.standard(secrets: Self.secrets)
        let settings = VaultSettings(url: vault.url, authType: .appRoleSecret, roleID: "no-such-role", rootPath: "secret/og")
        let error = try #require(throws: ExternalStoreError.self) {
            try client(vault, settings, secret: VaultTestValues.secretID).credential(id: "web")
        }
        #expect(error.failure == .authenticationRefused(
            "AppRole login with role ID 'no-such-role' failed (HTTP 400: invalid role ID); "
            + "check the role ID and the secret ID (expired, used up, or wrapped when field `appwrapped` says No)"))
        #expect(!error.description.contains(VaultTestValues.secretID))
    }

    @Test func expiredTokenIsRefusedWithWhatToDo() throws {
        let vault = try VaultSimulatorFixture.standard(tokenTTL: 600, secrets: Self.secrets)
        try vault.expire(VaultTestValues.token)
        let settings = VaultSettings(url: vault.url, authType: .token, rootPath: "secret/og")
        let error = try #require(throws: ExternalStoreError.self) {
            try client(vault, settings, secret: VaultTestValues.token).credential(id: "web")
        }
        #expect(error.description.hasPrefix("credential store 'vault1': authentication refused: Vault does not accept the stored token"), "\(error)")
        #expect(error.description.contains("credstore update hashicorp field `storename` vault1"))
        #expect(!error.description.contains(VaultTestValues.token))
    }

    @Test func anAppRoleTokenThatExpiredIsReplacedByLoggingInAgain() throws {
        let vault = try VaultSimulatorFixture.standard(secrets: Self.secrets)
        let settings = VaultSettings(url: vault.url, authType: .appRoleSecret, roleID: VaultTestValues.roleID, rootPath: "secret/og")
        let cache = VaultTokenCache()
        _ = try client(vault, settings, secret: VaultTestValues.secretID, cache: cache).credential(id: "web")
        try vault.expire()
        _ = try client(vault, settings, secret: VaultTestValues.secretID, cache: cache).credential(id: "web")
        #expect(try vault.stats()["logins"] == 2)
    }

    @Test func aCachedTokenPastItsLifetimeIsNotSentAgain() throws {
        let vault = try VaultSimulatorFixture.standard(secrets: Self.secrets)
        let settings = VaultSettings(url: vault.url, authType: .appRoleSecret, roleID: VaultTestValues.roleID, rootPath: "secret/og")
        let clock = TestClock()
        let cache = VaultTokenCache(now: { clock.now })
        _ = try client(vault, settings, secret: VaultTestValues.secretID, cache: cache).credential(id: "web")
        clock.advance(301)
        _ = try client(vault, settings, secret: VaultTestValues.secretID, cache: cache).credential(id: "web")
        let stats = try vault.stats()
        #expect(stats["logins"] == 2)
        #expect(stats["denied"] == 0, "the expired token was never presented")
    }

    @Test func aRenewableTokenIsRenewedOnceTwoThirdsOfItsLifetimeHavePassed() throws {
        let vault = try VaultSimulatorFixture.standard(secrets: Self.secrets)
        let settings = VaultSettings(url: vault.url, authType: .appRoleSecret, roleID: VaultTestValues.roleID, rootPath: "secret/og")
        let clock = TestClock()
        let cache = VaultTokenCache(now: { clock.now })
        _ = try client(vault, settings, secret: VaultTestValues.secretID, cache: cache).credential(id: "web")
        clock.advance(100)
        _ = try client(vault, settings, secret: VaultTestValues.secretID, cache: cache).credential(id: "web")
        #expect(try vault.stats()["renewals"] == 0, "a third of 300 s gone: too early to renew")
        clock.advance(120)
        _ = try client(vault, settings, secret: VaultTestValues.secretID, cache: cache).credential(id: "web")
        let stats = try vault.stats()
        #expect(stats["renewals"] == 1)
        #expect(stats["logins"] == 1)
    }

    @Test func missingSecretNamesStoreIDAndPath() throws {
        let vault = try VaultSimulatorFixture.standard(secrets: Self.secrets)
        let settings = VaultSettings(url: vault.url, authType: .token, rootPath: "secret/og")
        let error = try #require(throws: ExternalStoreError.self) {
            try client(vault, settings, secret: VaultTestValues.token).credential(id: "nowhere")
        }
        #expect(error.description == "credential store 'vault1', credential 'nowhere': secret missing: Vault has no secret at "
                + "secret/data/og/nowhere; check the ID and the root path 'secret/og'")
    }

    @Test func aSecretWithBothPasswordAndKeyPathIsRefused() throws {
        let vault = try VaultSimulatorFixture.standard(secrets: Self.secrets)
        let vaultClient = client(vault, VaultSettings(url: vault.url, authType: .token, rootPath: "secret/og"), secret: VaultTestValues.token)
        let both = try #require(throws: ExternalStoreError.self) { try vaultClient.credential(id: "both") }
        #expect(both.description == "credential store 'vault1', credential 'both': wrong secret shape: holds both 'password' and "
                + "'private_key_path'; keep exactly one of them")
        let noUser = try #require(throws: ExternalStoreError.self) { try vaultClient.credential(id: "nouser") }
        #expect(noUser.failure == .wrongShape("has no 'username'; store the login name under that key"))
    }

    @Test func theNamespaceIsSentAsAHeader() throws {
        let vault = try VaultSimulatorFixture.standard(namespace: "team-a", secrets: Self.secrets)
        var settings = VaultSettings(url: vault.url, authType: .token, rootPath: "secret/og")
        #expect(throws: ExternalStoreError.self) { try client(vault, settings, secret: VaultTestValues.token).credential(id: "web") }
        settings.namespace = "team-a"
        #expect(try client(vault, settings, secret: VaultTestValues.token).credential(id: "web").username == "deploy")
    }

    @Test func anUnreachableVaultIsReportedAsSuch() throws {
        let port = Loopback.freePort()
        let vault = try VaultSimulatorFixture.standard(secrets: [:])
        let settings = VaultSettings(url: "http://127.0.0.1:\(port)", authType: .token, rootPath: "secret/og")
        let error = try #require(throws: ExternalStoreError.self) {
            try VaultClient(storeName: "vault1", settings: settings, storedSecret: Secret(VaultTestValues.token), send: vault.send(),
                            cache: VaultTokenCache()).credential(id: "web")
        }
        guard case .unreachable = error.failure else {
            Issue.record("expected unreachable, got \(error)")
            return
        }
        #expect(error.description.hasPrefix("credential store 'vault1': store unreachable: "))
    }
}

/// A clock the tests move forward, so expiry and renewal need no sleeping.
final class TestClock: @unchecked Sendable {
    // @unchecked Sendable: `current` is only touched while `lock` is held.
    private let lock = Locked()
    private var current = Date()

    var now: Date { lock.withLock { current } }

    func advance(_ seconds: TimeInterval) {
        lock.withLock { current = current.addingTimeInterval(seconds) }
    }
}
