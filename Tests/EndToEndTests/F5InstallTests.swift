import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `tls add f5`, `tls nodes` and `tls install` against the iControl REST test
/// server: every change goes through its API, and every check of what is
/// served is a real TLS handshake with a virtual server's listener.
@Suite struct F5InstallTests {
    let fixture: GatewayFixture
    let pki: TestPKI

    init() throws {
        fixture = try GatewayFixture(plugins: ["f5"])
        pki = try TestPKI()
        let anchor = try fixture.run(["ca", "add", pki.file("root.pem"), "--name", "test-root"])
        try #require(anchor.exitStatus == 0, "\(anchor.standardErrorText)")
    }

    /// Two profiles share the pair /Common/web on two virtual servers, as after a manual copy of a profile.
    func sharedPairDevice(deviceGroup: String? = nil, converges: Bool = true) throws -> F5Simulator {
        try F5Simulator(pki: pki, profiles: [
            F5Simulator.Profile(name: "/Common/web-ssl", pair: "/Common/web"),
            F5Simulator.Profile(name: "/Common/web-ssl-legacy", pair: "/Common/web"),
        ], virtuals: [
            F5Simulator.Virtual(name: "/Common/vs-web", profiles: ["/Common/web-ssl", "/Common/http"]),
            F5Simulator.Virtual(name: "/Common/vs-legacy", profiles: ["/Common/web-ssl-legacy"]),
        ], deviceGroup: deviceGroup, converges: converges)
    }

    func add(_ f5: F5Simulator, _ extra: [String] = [], password: String = F5Simulator.password) throws -> ProcessOutput {
        try fixture.run(["tls", "add", "f5", "--name", "big", "--connection_type", "rest", "--host", "localhost",
                         "--port", String(f5.port), "--user", F5Simulator.user, "--password", password] + extra)
    }

    func install(_ leaf: (certificate: String, key: String), _ extra: [String] = [],
                 environment: [String: String] = [:]) throws -> ProcessOutput {
        try fixture.run(["tls", "install", "big", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain] + extra,
                        extraEnvironment: environment)
    }

    func objects(_ f5: F5Simulator) throws -> (keys: [String], certs: [String]) {
        let state = try f5.state()
        return (state["keys"] as? [String] ?? [], state["certs"] as? [String] ?? [])
    }

    func counter(_ f5: F5Simulator, _ name: String) throws -> Int {
        try #require((try f5.state()["counters"] as? [String: Any])?[name] as? Int)
    }

    @Test func addLogsInAndRefusesAWrongPasswordOrAnUnknownPartition() throws {
        let f5 = try F5Simulator(pki: pki)
        let wrong = try add(f5, password: "not-the-password")
        #expect(wrong.exitStatus != 0)
        #expect(wrong.standardErrorText.contains("login"), "\(wrong.standardErrorText)")
        #expect(!wrong.standardErrorText.contains("not-the-password"))
        let partition = try add(f5, ["--partition", "Nowhere"])
        #expect(partition.exitStatus != 0)
        #expect(partition.standardErrorText.contains("partition"), "\(partition.standardErrorText)")
        #expect(partition.standardErrorText.contains("Nowhere"))
        let added = try add(f5)
        #expect(added.exitStatus == 0, "\(added.standardErrorText)")
        #expect(try fixture.run(["tls", "list"]).standardOutputText.contains("big"))
        // Every login's token was deleted again.
        #expect(try f5.state()["tokens"] as? Int == 0)
        let logins = try counter(f5, "logins"), deleted = try counter(f5, "tokens_deleted")
        // The refused partition and the accepted add each logged in once; the wrong password never got a token.
        #expect(logins == 2 && deleted == 2, "\(logins) logins, \(deleted) tokens deleted")
        #expect(try counter(f5, "basic_requests") == 0, "every request used the token, none Basic authentication")
    }

    @Test func aStoredCredentialLogsInAndItsPasswordIsFilledInByTheHost() throws {
        // Quotes and backslashes prove the host escapes the password for the JSON login body.
        let password = #"st"ore\d-pa55 {x}"#
        let f5 = try F5Simulator(pki: pki, password: password)
        try #require(try fixture.run(["credstore", "credentials", "add", "--storename", "default", "--id", "bigip-admin",
                                      "--username", F5Simulator.user, "--password", "env:PW"],
                                     extraEnvironment: ["PW": password]).exitStatus == 0)
        let added = try fixture.run(["tls", "add", "f5", "--name", "big", "--connection_type", "rest", "--host", "localhost",
                                     "--port", String(f5.port), "--store", "default", "--store_cred_id", "bigip-admin"])
        #expect(added.exitStatus == 0, "\(added.standardErrorText)")
        let nodes = try fixture.run(["tls", "nodes", "big"])
        #expect(nodes.exitStatus == 0, "\(nodes.standardErrorText)")
        #expect(nodes.standardOutputText.contains("/Common/web-ssl"))
        #expect(!(nodes.standardOutputText + nodes.standardErrorText).contains(password))
        #expect(try counter(f5, "logins") == 2)
    }

    @Test func nodesAreClientSSLProfilesWithTheirPairsVirtualServersAndServedCertificates() throws {
        let f5 = try sharedPairDevice()
        try #require(try add(f5).exitStatus == 0)
        let nodes = try fixture.run(["tls", "nodes", "big", "--output", "json"])
        #expect(nodes.exitStatus == 0, "\(nodes.standardErrorText)")
        let text = nodes.standardOutputText
        #expect(text.contains("\"id\" : \"\\/Common\\/web-ssl\"") || text.contains("\"id\" : \"/Common/web-ssl\""), "\(text)")
        #expect(text.contains("web-ssl-legacy"))
        #expect(text.contains("/Common/vs-legacy 127.0.0.1:\(f5.virtualPorts["/Common/vs-legacy"]!)")
                || text.contains("\\/Common\\/vs-legacy 127.0.0.1:\(f5.virtualPorts["/Common/vs-legacy"]!)"), "\(text)")
        #expect(text.contains(try pki.fingerprint(pki.file("Common-web.pem"))))
        #expect(text.components(separatedBy: "\"mismatch\" : false").count == 3, "configured and served agree: \(text)")
    }

    @Test func installRepointsEveryProfileOfThePairInOneTransactionAndRenewsOntoTheSameProfile() throws {
        let f5 = try sharedPairDevice()
        try #require(try add(f5).exitStatus == 0)
        let first = try pki.issue("renewed", dnsNames: ["www.example.test"], key: "rsa")
        let result = try install(first, ["--node", "/Common/web-ssl"])
        #expect(result.exitStatus == 0, "\(result.standardErrorText)\(result.standardOutputText)")
        let expected = try pki.fingerprint(first.certificate)
        #expect(try f5.servedFingerprint("/Common/vs-web") == expected)
        #expect(try f5.servedFingerprint("/Common/vs-legacy") == expected, "the second profile using the pair was repointed too")
        let version = String(expected.prefix(12))
        var (keys, certs) = try objects(f5)
        #expect(keys == ["/Common/og-www.example.test-\(version).key"], "the replaced key was deleted after verification: \(keys)")
        #expect(certs.contains("/Common/og-www.example.test-\(version).crt"))
        #expect(certs.contains("/Common/og-www.example.test-\(version)-chain.crt"))
        #expect(!certs.contains("/Common/web.crt"))
        #expect(try counter(f5, "commits") == 1, "one transaction")
        #expect(try f5.state()["tokens"] as? Int == 0)

        let second = try pki.issue("renewed-again", dnsNames: ["www.example.test"], key: "ec")
        let renewed = try install(second)
        #expect(renewed.exitStatus == 0, "\(renewed.standardErrorText)\(renewed.standardOutputText)")
        let expectedAgain = try pki.fingerprint(second.certificate)
        #expect(try f5.servedFingerprint("/Common/vs-web") == expectedAgain)
        #expect(try f5.servedFingerprint("/Common/vs-legacy") == expectedAgain)
        (keys, certs) = try objects(f5)
        #expect(keys == ["/Common/og-www.example.test-\(expectedAgain.prefix(12)).key"], "\(keys)")
        #expect(!certs.contains("/Common/og-www.example.test-\(version).crt"))
        let audit = try fixture.run(["audit"]).standardOutputText
        #expect(!audit.contains(F5Simulator.password))
    }

    @Test func pkcs12TransferInstallsUnderAOneTimePassphraseThePluginNeverSees() throws {
        let f5 = try sharedPairDevice()
        try #require(try add(f5, ["--key_transfer", "pkcs12"]).exitStatus == 0)
        let leaf = try pki.issue("p12", dnsNames: ["www.example.test"], key: "rsa")
        let result = try install(leaf)
        #expect(result.exitStatus == 0, "\(result.standardErrorText)\(result.standardOutputText)")
        let expected = try pki.fingerprint(leaf.certificate)
        #expect(try f5.servedFingerprint("/Common/vs-web") == expected)
        #expect(try f5.servedFingerprint("/Common/vs-legacy") == expected)
        let base = "/Common/og-www.example.test-\(expected.prefix(12))"
        #expect(try objects(f5).keys == [base], "one PKCS#12 import made the key object")
        let dryRun = try install(try pki.issue("p12-next", dnsNames: ["www.example.test"], key: "rsa"), ["--dry-run"])
        #expect(dryRun.standardOutputText.contains("POST /mgmt/tm/sys/crypto/pkcs12"), "\(dryRun.standardOutputText)")
        #expect(dryRun.standardOutputText.contains("\"passphrase\":\"(elided)\""))
    }

    @Test func aKeyThatDoesNotMatchIsRefusedBeforeAnythingChanges() throws {
        let f5 = try sharedPairDevice()
        try #require(try add(f5).exitStatus == 0)
        let leaf = try pki.issue("leaf", dnsNames: ["www.example.test"], key: "rsa")
        let other = try pki.issue("other", dnsNames: ["www.example.test"], key: "rsa")
        let before = try f5.servedFingerprint("/Common/vs-web")
        let result = try install((leaf.certificate, other.key))
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.lowercased().contains("key"), "\(result.standardErrorText)")
        #expect(try counter(f5, "uploads") == 0)
        #expect(try counter(f5, "changes") == 0)
        #expect(try f5.servedFingerprint("/Common/vs-web") == before)
    }

    @Test func aCommitFailureChangesNothingAndIsReported() throws {
        let f5 = try sharedPairDevice()
        try #require(try add(f5).exitStatus == 0)
        let before = try f5.servedFingerprint("/Common/vs-web")
        let objectsBefore = try objects(f5)
        try f5.failNextCommit("01070734:3: Configuration error: simulated validation failure")
        let result = try install(try pki.issue("leaf", dnsNames: ["www.example.test"], key: "rsa"))
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("simulated validation failure"), "\(result.standardErrorText)")
        #expect(try f5.servedFingerprint("/Common/vs-web") == before)
        #expect(try f5.servedFingerprint("/Common/vs-legacy") == before)
        let objectsAfter = try objects(f5)
        #expect(objectsAfter.keys == objectsBefore.keys && objectsAfter.certs == objectsBefore.certs)
        let recover = try fixture.run(["tls", "recover", "big"])
        #expect(recover.standardOutputText.contains("no interrupted install"), "the journal was closed: \(recover.standardOutputText)")
        #expect(try f5.state()["tokens"] as? Int == 0)
    }

    @Test func aKillAfterApplyIsRecoveredWithRollbackInstall() throws {
        let f5 = try sharedPairDevice()
        try #require(try add(f5).exitStatus == 0)
        let before = try f5.servedFingerprint("/Common/vs-web")
        let objectsBefore = try objects(f5)
        let leaf = try pki.issue("leaf", dnsNames: ["www.example.test"], key: "rsa")
        let crashed = try install(leaf, environment: ["OG_FAULT_INJECT": "after-apply"])
        #expect(crashed.exitStatus == 70, "\(crashed.standardErrorText)")
        #expect(try f5.servedFingerprint("/Common/vs-web") == (try pki.fingerprint(leaf.certificate)), "the apply had committed")

        let recovered = try fixture.run(["tls", "recover", "big"])
        #expect(recovered.exitStatus == 0, "\(recovered.standardErrorText)")
        #expect(recovered.standardOutputText.contains("rolled back with the plugin's undo token"), "\(recovered.standardOutputText)")
        #expect(try f5.servedFingerprint("/Common/vs-web") == before)
        #expect(try f5.servedFingerprint("/Common/vs-legacy") == before)
        let objectsAfter = try objects(f5)
        #expect(objectsAfter.keys == objectsBefore.keys, "the new objects were removed again: \(objectsAfter.keys)")
        let again = try fixture.run(["tls", "recover", "big"])
        #expect(again.standardOutputText.contains("no interrupted install"))
    }

    @Test func aRollbackThatCannotFinishLeavesTheJournalOpenUntilItCan() throws {
        let f5 = try sharedPairDevice()
        try #require(try add(f5).exitStatus == 0)
        let before = try f5.servedFingerprint("/Common/vs-web")
        let crashed = try install(try pki.issue("leaf", dnsNames: ["www.example.test"], key: "rsa"),
                                  environment: ["OG_FAULT_INJECT": "after-apply"])
        #expect(crashed.exitStatus == 70)
        // The device answers profile reads with a server error: the rollback cannot see what to put back.
        try f5.answerHostile(prefix: "/mgmt/tm/ltm/profile/client-ssl/", body: #"{"code":503,"message":"busy"}"#, status: 503)
        let failed = try fixture.run(["tls", "recover", "big"])
        #expect(failed.exitStatus != 0)
        #expect(failed.standardErrorText.contains("could not be recovered"), "\(failed.standardErrorText)")
        try f5.calm()
        let recovered = try fixture.run(["tls", "recover", "big"])
        #expect(recovered.exitStatus == 0, "the journal stayed open: \(recovered.standardErrorText)")
        #expect(recovered.standardOutputText.contains("rolled back with the plugin's undo token"))
        #expect(try f5.servedFingerprint("/Common/vs-web") == before)
    }

    @Test func aCrashBetweenJournallingTheTokenAndTheFirstChangeIsRecoveredWithoutHarm() throws {
        let f5 = try sharedPairDevice(deviceGroup: "dg-failover")
        try #require(try add(f5).exitStatus == 0)
        let before = try f5.servedFingerprint("/Common/vs-web")
        let objectsBefore = try objects(f5)
        let crashed = try install(try pki.issue("leaf", dnsNames: ["www.example.test"], key: "rsa"),
                                  environment: ["OG_FAULT_INJECT": "after-undo-journal"])
        #expect(crashed.exitStatus == 70, "\(crashed.standardErrorText)")
        #expect(try counter(f5, "uploads") == 0, "the token is journalled before the first change")
        // rollback_install is idempotent: with nothing applied it changes nothing, and the journal closes.
        let recovered = try fixture.run(["tls", "recover", "big"])
        #expect(recovered.exitStatus == 0, "\(recovered.standardErrorText)")
        #expect(recovered.standardOutputText.contains("rolled back with the plugin's undo token"))
        #expect(try f5.servedFingerprint("/Common/vs-web") == before)
        let objectsAfter = try objects(f5)
        #expect(objectsAfter.keys == objectsBefore.keys && objectsAfter.certs == objectsBefore.certs)
        #expect(try counter(f5, "commits") == 0)
        #expect(try fixture.run(["tls", "recover", "big"]).standardOutputText.contains("no interrupted install"))
    }

    @Test func thePluginPassesTheConformanceSuite() throws {
        let check = try fixture.run(["plugin", "check", BuiltProducts.plugin("f5")])
        #expect(check.exitStatus == 0, "\(check.standardOutputText)\(check.standardErrorText)")
        #expect(check.standardOutputText.contains("PASS slot.rollback_install.hostile_input"), "\(check.standardOutputText)")
    }

    @Test func aHAPairIsSyncedAndAGroupThatDoesNotConvergeIsReported() throws {
        let f5 = try sharedPairDevice(deviceGroup: "dg-failover")
        try #require(try add(f5).exitStatus == 0)
        let result = try install(try pki.issue("leaf", dnsNames: ["www.example.test"], key: "rsa"))
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
        #expect(try f5.state()["sync_status"] as? String == "In Sync")
        #expect(try counter(f5, "config_syncs") >= 1)

        let stuck = try sharedPairDevice(deviceGroup: "dg-failover", converges: false)
        _ = try fixture.run(["tls", "remove", "big"])
        try #require(try fixture.run(["tls", "add", "f5", "--name", "big2", "--connection_type", "rest", "--host", "localhost",
                                      "--port", String(stuck.port), "--user", F5Simulator.user, "--password", F5Simulator.password,
                                      "--sync_timeout", "5"]).exitStatus == 0)
        let leaf = try pki.issue("leaf2", dnsNames: ["www.example.test"], key: "rsa")
        let unsynced = try fixture.run(["tls", "install", "big2", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain])
        #expect(unsynced.exitStatus != 0)
        #expect(unsynced.standardErrorText.contains("dg-failover did not report In Sync"), "\(unsynced.standardErrorText)")
        #expect(try stuck.servedFingerprint("/Common/vs-web") == (try pki.fingerprint(leaf.certificate)), "installed and verified")
    }

    @Test func aPartitionsProfilesAreItsNodesAndItsObjectsGoThere() throws {
        let f5 = try F5Simulator(pki: pki, profiles: [
            F5Simulator.Profile(name: "/Common/web-ssl", pair: "/Common/web"),
            F5Simulator.Profile(name: "/Tenant/shop-ssl", pair: "/Tenant/shop"),
        ], virtuals: [
            F5Simulator.Virtual(name: "/Common/vs-web", profiles: ["/Common/web-ssl"]),
            F5Simulator.Virtual(name: "/Tenant/vs-shop", profiles: ["/Tenant/shop-ssl"]),
        ])
        try #require(try add(f5, ["--partition", "Tenant"]).exitStatus == 0)
        let nodes = try fixture.run(["tls", "nodes", "big", "--output", "json"]).standardOutputText
        #expect(nodes.contains("shop-ssl"), "\(nodes)")
        #expect(!nodes.contains("\"web-ssl\"") && !nodes.contains("Common\\/web-ssl\"") && !nodes.contains("Common/web-ssl\""))
        let webBefore = try f5.servedFingerprint("/Common/vs-web")
        let leaf = try pki.issue("shop-new", dnsNames: ["www.example.test"], key: "rsa")
        let result = try install(leaf, ["--node", "/Tenant/shop-ssl"])
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
        #expect(try f5.servedFingerprint("/Tenant/vs-shop") == (try pki.fingerprint(leaf.certificate)))
        #expect(try f5.servedFingerprint("/Common/vs-web") == webBefore)
        #expect(try objects(f5).keys.contains { $0.hasPrefix("/Tenant/og-") })
    }

    @Test func hostileRepliesAreRefusedWithTheFieldNamed() throws {
        let f5 = try sharedPairDevice()
        try #require(try add(f5).exitStatus == 0)
        try f5.answerHostile(prefix: "/mgmt/tm/ltm/profile/client-ssl", body: #"{"items":[{"fullPath":"/Common/x","certKeyChain":"nope"}]}"#)
        let wrongShape = try fixture.run(["tls", "nodes", "big"])
        #expect(wrongShape.exitStatus != 0)
        #expect(wrongShape.standardErrorText.contains("certKeyChain is not an array"), "\(wrongShape.standardErrorText)")

        let truncated = try sharedPairDevice()
        _ = try fixture.run(["tls", "remove", "big"])
        try #require(try add(truncated).exitStatus == 0)
        try truncated.answerHostile(prefix: "/mgmt/tm/ltm/virtual", body: String(repeating: "[", count: 5000))
        let deep = try fixture.run(["tls", "nodes", "big"])
        #expect(deep.exitStatus != 0)
        #expect(deep.standardErrorText.contains("not JSON"), "\(deep.standardErrorText)")
        try truncated.answerHostile(prefix: "/mgmt/tm/sys/file/ssl-cert", body: #"{"items":[{"fullPath":"/Common/a\u0000b"}"#)
        let install = try self.install(try pki.issue("leaf", dnsNames: ["www.example.test"], key: "rsa"))
        #expect(install.exitStatus != 0)
        #expect(try counter(truncated, "changes") == 0)
    }

    @Test func dryRunListsTheRESTCallsWithSecretsElidedAndChangesNothing() throws {
        let f5 = try sharedPairDevice(deviceGroup: "dg-failover")
        try #require(try add(f5).exitStatus == 0)
        let result = try install(try pki.issue("leaf", dnsNames: ["www.example.test"], key: "rsa"), ["--dry-run"])
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
        let text = result.standardOutputText
        for call in ["POST /mgmt/shared/file-transfer/uploads/", "POST /mgmt/tm/transaction", "POST /mgmt/tm/sys/crypto/key",
                     "PATCH /mgmt/tm/ltm/profile/client-ssl/~Common~web-ssl-legacy", "PATCH /mgmt/tm/transaction/",
                     "config-sync to-group dg-failover", "DELETE /mgmt/tm/sys/crypto/key/~Common~web.key"] {
            #expect(text.contains(call), "missing \(call) in \(text)")
        }
        #expect(!text.contains("PRIVATE KEY"))
        #expect(!text.contains(F5Simulator.password))
        #expect(try counter(f5, "uploads") == 0)
        #expect(try counter(f5, "changes") == 0)
        #expect(try counter(f5, "config_syncs") == 0)
    }
}
