import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `og-host issuer` and `cert issue|orders|order|revoke` against a real Pebble:
/// EAB accounts, http-01 answered by writing the token into a real nginx's
/// webroot over the endpoint's own connection, the certificate installed on
/// that nginx and verified by handshake.
@Suite(.serialized) final class ACMEIssuanceTests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let nginx: NginxTestInstance

    init() throws {
        fixture = try GatewayFixture(plugins: ["nginx"])
        pki = try TestPKI()
        nginx = try NginxTestInstance(pki: pki)
    }

    func run(_ arguments: [String], _ input: String = "") throws -> ProcessOutput {
        try fixture.run(arguments, standardInput: Array(input.utf8))
    }

    func addIssuer(_ pebble: PebbleServer, name: String = "pebble", eab: Bool = true) throws -> ProcessOutput {
        try run(["issuer", "add", "acme", "--name", name, "--directory", pebble.directoryURL, "--ca-bundle", pebble.caBundle,
                 "--agree-tos", "--contact", "mailto:pki@example.test"]
                + (eab ? ["--eab-kid", PebbleServer.eabKeyID, "--eab-hmac-key", "-"] : []),
                eab ? PebbleServer.eabHMACKey + "\n" : "")
    }

    func addWebEndpoint() throws {
        let added = try run(["tls", "add", "nginx", "--name", "web"] + nginx.localOptions)
        try #require(added.exitStatus == 0, "tls add: \(added.standardErrorText)")
    }

    func issueArguments(_ name: String, cn: String) -> [String] {
        ["cert", "issue", name, "--issuer", "pebble", "--cn", cn, "--challenge", "http-01", "--challenge-endpoint", "web",
         "--webroot", nginx.directory.file("www")]
    }

    func certificateJSON(_ reference: String) throws -> [String: Any] {
        let shown = try run(["cert", "show", reference, "--output", "json"])
        try #require(shown.exitStatus == 0, "cert show: \(shown.standardErrorText)")
        return try #require(try JSONSerialization.jsonObject(with: Data(shown.standardOutput)) as? [String: Any])
    }

    @Test func issuesWithEABOverHTTP01ThroughNginxAndInstallsIt() throws {
        try nginx.start()
        let pebble = try PebbleServer(httpPort: nginx.httpPort)
        let added = try addIssuer(pebble)
        try #require(added.exitStatus == 0, "issuer add: \(added.standardErrorText)\n\(pebble.log)")
        #expect(added.standardOutputText.contains("/my-account/"))
        let shownIssuer = try run(["issuer", "show", "pebble"])
        #expect(shownIssuer.standardOutputText.contains("EAB key ID:      \(PebbleServer.eabKeyID)"), "\(shownIssuer.standardOutputText)")
        #expect(!shownIssuer.standardOutputText.contains(PebbleServer.eabHMACKey))
        let again = try addIssuer(pebble)
        #expect(again.exitStatus == 2 && again.standardErrorText.contains("already an issuer"))
        try addWebEndpoint()

        let issued = try run(issueArguments("shop", cn: "beta.example.test"))
        try #require(issued.exitStatus == 0, "cert issue: \(issued.standardErrorText)\n\(pebble.log)")
        #expect(issued.standardOutputText.contains("Certificate 'shop' issued."))
        // The token went through the endpoint's webroot and is gone again, with the directories made for it.
        #expect(pebble.log.contains("validate w/ HTTP: http://beta.example.test:\(nginx.httpPort)/"), "Pebble validated over http-01")
        #expect(!FileManager.default.fileExists(atPath: nginx.directory.file("www/.well-known")))

        let shop = try certificateJSON("shop")
        #expect(shop["status"] as? String == "issued")
        let fingerprint = try #require(shop["fingerprint"] as? String)

        // The order is recorded as completed, with its URLs.
        let orders = try run(["cert", "orders", "--output", "json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(orders.standardOutput)) as? [[String: Any]])
        #expect(list.count == 1)
        #expect(list.first?["state"] as? String == "completed")
        #expect((list.first?["order_url"] as? String)?.hasPrefix("https://127.0.0.1:\(pebble.port)/") == true)

        // Deploy to the nginx the challenge went through; the chain reaches Pebble's root once trusted.
        let anchored = try run(["ca", "add", try pebble.rootFile(), "--name", "pebble-root"])
        try #require(anchored.exitStatus == 0, "ca add: \(anchored.standardErrorText)")
        let installed = try run(["tls", "install", "web", "--cert-id", "shop"])
        try #require(installed.exitStatus == 0, "tls install: \(installed.standardErrorText)")
        #expect(try nginx.servedFingerprint("beta.example.test") == fingerprint)

        // The EAB HMAC key and the account key are nowhere in plaintext under the data directory.
        for (file, bytes) in fixture.dataDirectoryContents() {
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(!text.contains(PebbleServer.eabHMACKey), "EAB key in plaintext in \(file)")
            #expect(!text.contains("PRIVATE KEY"), "a PEM private key in \(file)")
        }

        // Issuing again for the same name: the new certificate takes the name, the old one stays by ID.
        let second = try run(issueArguments("shop", cn: "beta.example.test"))
        try #require(second.exitStatus == 0, "second cert issue: \(second.standardErrorText)")
        #expect(second.standardOutputText.contains("Previous certificate"))
        let renewed = try certificateJSON("shop")
        #expect(renewed["fingerprint"] as? String != fingerprint)
        let versions = try #require(renewed["versions"] as? [[String: Any]])
        #expect(versions.map { $0["version"] as? Int } == [2, 1], "the previous version is kept: \(versions)")
        #expect(versions.last?["fingerprint"] as? String == fingerprint)

        // Revocation of the superseded version by ID, then a second attempt is refused.
        let previousID = try #require(shop["id"] as? String)
        let revoked = try run(["cert", "revoke", "shop", "--version", previousID, "--reason", "superseded"])
        #expect(revoked.exitStatus == 0, "cert revoke: \(revoked.standardErrorText)")
        let twice = try run(["cert", "revoke", "shop", "--version", previousID, "--reason", "superseded"])
        #expect(twice.exitStatus == 2 && twice.standardErrorText.contains("already revoked"))
        let badReason = try run(["cert", "revoke", "shop", "--reason", "because"])
        #expect(badReason.exitStatus == 2 && badReason.standardErrorText.contains("--reason"))
    }

    @Test func anOrderWithoutAChallengeMethodStopsVisiblyAndResumesIntoTheSameOrder() throws {
        try nginx.start()
        let pebble = try PebbleServer(httpPort: nginx.httpPort, requireEAB: false)
        try #require(try addIssuer(pebble, eab: false).exitStatus == 0)
        try addWebEndpoint()

        let stopped = try run(["cert", "issue", "api", "--issuer", "pebble", "--cn", "beta.example.test"])
        #expect(stopped.exitStatus == 1)
        #expect(stopped.standardErrorText.contains("no challenge method"), "\(stopped.standardErrorText)")
        #expect(stopped.standardErrorText.contains("resume"))
        let pending = try run(["cert", "orders", "--output", "json"])
        let before = try #require(try JSONSerialization.jsonObject(with: Data(pending.standardOutput)) as? [[String: Any]])
        #expect(before.count == 1 && before.first?["state"] as? String == "pending")
        let orderURL = try #require(before.first?["order_url"] as? String)
        let orderID = try #require(before.first?["id"] as? String)
        #expect(try run(["cert", "list", "--output", "json"]).standardOutputText.contains("api") == false,
                "nothing in the vault while the order is open")
        let shown = try run(["cert", "order", "show", String(orderID.prefix(8))])
        #expect(shown.standardOutputText.contains("pending") && shown.standardOutputText.contains(orderURL))

        // Other names for the same certificate while the order is open are refused, naming the order.
        let conflicting = try run(["cert", "issue", "api", "--issuer", "pebble", "--cn", "alpha.example.test"])
        #expect(conflicting.exitStatus == 2 && conflicting.standardErrorText.contains(orderID))

        let resumed = try run(["cert", "issue", "api", "--issuer", "pebble", "--challenge", "http-01",
                               "--challenge-endpoint", "web", "--webroot", nginx.directory.file("www")])
        try #require(resumed.exitStatus == 0, "resume: \(resumed.standardErrorText)\n\(pebble.log)")
        #expect(resumed.standardOutputText.contains("(resumed order)"))
        let after = try run(["cert", "orders", "--output", "json"])
        let orders = try #require(try JSONSerialization.jsonObject(with: Data(after.standardOutput)) as? [[String: Any]])
        #expect(orders.count == 1, "no second order was placed")
        #expect(orders.first?["order_url"] as? String == orderURL)
        #expect(orders.first?["state"] as? String == "completed")
    }

    @Test func issuerAddRefusesMissingEABAndWrongHMACAndWritesNothing() throws {
        let pebble = try PebbleServer(httpPort: Loopback.freePort())
        let before = fixture.dataDirectoryContents().keys.filter { $0.hasPrefix("keys/") }
        let missing = try addIssuer(pebble, eab: false)
        #expect(missing.exitStatus == 2)
        #expect(missing.standardErrorText.contains("External Account Binding"), "\(missing.standardErrorText)")
        let wrong = try run(["issuer", "add", "acme", "--name", "pebble", "--directory", pebble.directoryURL,
                             "--ca-bundle", pebble.caBundle, "--agree-tos", "--eab-kid", PebbleServer.eabKeyID,
                             "--eab-hmac-key", "env:WRONG_KEY"], "")
        #expect(wrong.exitStatus != 0)
        let noTOS = try run(["issuer", "add", "acme", "--name", "pebble", "--directory", pebble.directoryURL,
                             "--ca-bundle", pebble.caBundle])
        #expect(noTOS.exitStatus == 2 && noTOS.standardErrorText.contains("--agree-tos"), "\(noTOS.standardErrorText)")
        let untrusted = try run(["issuer", "add", "acme", "--name", "pebble", "--directory", pebble.directoryURL, "--agree-tos"])
        #expect(untrusted.exitStatus == 1 && untrusted.standardErrorText.contains("could not reach the CA"),
                "\(untrusted.standardErrorText)")
        #expect(try run(["issuer", "list"]).standardOutputText.contains("No issuers"))
        #expect(fixture.dataDirectoryContents().keys.filter { $0.hasPrefix("keys/") }.count == before.count)
        let bad = try fixture.run(["issuer", "add", "acme", "--name", "pebble", "--directory", pebble.directoryURL,
                                   "--ca-bundle", pebble.caBundle, "--agree-tos", "--eab-kid", PebbleServer.eabKeyID,
                                   "--eab-hmac-key", "env:WRONG_KEY"],
                                  extraEnvironment: ["WRONG_KEY": "b10lLJs8l1GPIzsLP0s6pMt8O0XVGnfTaCeROxQM0BIt2XrJMDHJZBM5NuQmQJQH"])
        #expect(bad.exitStatus == 1 && bad.standardErrorText.contains("the CA refused"), "\(bad.standardErrorText)")
        #expect(!bad.standardErrorText.contains("b10lLJs8"), "the HMAC key is not echoed")
    }

    @Test func aCrashMidOrderResumesTheSameOrderAndLeavesNoTokenBehind() throws {
        try nginx.start()
        let pebble = try PebbleServer(httpPort: nginx.httpPort, requireEAB: false)
        try #require(try addIssuer(pebble, eab: false).exitStatus == 0)
        try addWebEndpoint()
        let challenges = nginx.directory.file("www/.well-known/acme-challenge")

        // Killed right after telling the CA to validate: the token is still in the webroot.
        let crashed = try fixture.run(issueArguments("shop", cn: "beta.example.test"),
                                      extraEnvironment: ["OG_FAULT_INJECT": "acme-after-challenge"])
        #expect(crashed.exitStatus == 70, "\(crashed.standardErrorText)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: challenges).count == 1)
        let resumed = try run(issueArguments("shop", cn: "beta.example.test"))
        try #require(resumed.exitStatus == 0, "resume: \(resumed.standardErrorText)\n\(pebble.log)")
        #expect(resumed.standardOutputText.contains("(resumed order)"))
        #expect(!FileManager.default.fileExists(atPath: nginx.directory.file("www/.well-known")), "no token left behind")
        // The challenge was answered once: Pebble 2.4 keeps it `pending` while it validates, and a second response
        // would queue a second validation that could fail with 404 after the token is gone and void the order.
        #expect(pebble.log.components(separatedBy: "Pulled a task from the Tasks queue").count - 1 == 1,
                "one validation for one response\n\(pebble.log)")

        // Killed right after submitting the CSR: the resume downloads what the CA issued.
        let afterFinalize = try fixture.run(issueArguments("api", cn: "beta.example.test"),
                                            extraEnvironment: ["OG_FAULT_INJECT": "acme-after-finalize"])
        #expect(afterFinalize.exitStatus == 70, "\(afterFinalize.standardErrorText)")
        let finished = try run(issueArguments("api", cn: "beta.example.test"))
        try #require(finished.exitStatus == 0, "resume: \(finished.standardErrorText)")
        #expect(finished.standardOutputText.contains("(resumed order)"))

        let listed = try run(["cert", "orders", "--output", "json"])
        let orders = try #require(try JSONSerialization.jsonObject(with: Data(listed.standardOutput)) as? [[String: Any]])
        #expect(orders.count == 2, "one order per certificate, none placed twice")
        #expect(orders.allSatisfy { $0["state"] as? String == "completed" })
        #expect(!fixture.dataDirectoryContents().keys.contains { $0.contains("keys/order-") }, "no order key left")
    }
}
