import Foundation
import OGBasics
import OGTestSupport
import Testing

/// dns-01 against a real BIND 9: og-host adds `_acme-challenge` TXT records
/// with TSIG-signed RFC 2136 updates, waits until BIND serves them, lets a
/// real Pebble (resolving through that BIND, validation delays on) validate,
/// and deletes the records afterwards.
@Suite(.serialized) final class ACMEDNSChallengeTests {
    let fixture: GatewayFixture
    let bind: BindServer
    let pebble: PebbleServer

    init() throws {
        fixture = try GatewayFixture(plugins: ["hello-swift"])
        bind = try BindServer()
        // Nearly a third of nonces rejected, so every run retries badNonce (P(no rejection in ~20 requests) < 0.1 %).
        pebble = try PebbleServer(httpPort: Loopback.freePort(), requireEAB: false, dnsServer: bind.address,
                                  environment: ["PEBBLE_WFE_NONCEREJECT": "30"])
        let added = try fixture.run(["issuer", "add", "acme", "--name", "pebble", "--directory", pebble.directoryURL,
                                     "--ca-bundle", pebble.caBundle, "--agree-tos"])
        try #require(added.exitStatus == 0, "issuer add: \(added.standardErrorText)")
    }

    func issue(_ name: String, _ names: [String], secret: String, trace: Bool = false) throws -> ProcessOutput {
        try fixture.run(["cert", "issue", name, "--issuer", "pebble", "--cn", names[0]]
                        + names.dropFirst().flatMap { ["--san-dns", $0] }
                        + ["--challenge", "dns-01", "--dns-server", bind.address, "--tsig-key", BindServer.keyName,
                           "--tsig-secret", "env:OG_TEST_TSIG"],
                        extraEnvironment: ["OG_TEST_TSIG": secret].merging(trace ? ["OG_ACME_TRACE": "1"] : [:]) { $1 })
    }

    @Test func issuesAWildcardThroughTSIGSignedUpdatesAndRemovesTheRecords() throws {
        let issued = try issue("zone", ["www.acme.test", "*.acme.test"], secret: bind.secret, trace: true)
        try #require(issued.exitStatus == 0, "cert issue: \(issued.standardErrorText)\n\(pebble.log)\n\(bind.log)")
        #expect(issued.standardOutputText.contains("DNS:*.acme.test"), "\(issued.standardOutputText)")
        #expect(pebble.log.contains("set VALID by completed challenge"), "Pebble validated the authorizations")
        #expect(bind.log.contains("updating zone 'acme.test/IN': adding an RR at '_acme-challenge.www.acme.test' TXT"))
        #expect(bind.log.contains("deleting an RR at _acme-challenge.acme.test TXT")
                || bind.log.contains("deleting an RR at '_acme-challenge.acme.test' TXT"), "\(bind.log)")
        #expect(try bind.txt("_acme-challenge.www.acme.test").isEmpty, "the record is gone")
        #expect(try bind.txt("_acme-challenge.acme.test").isEmpty, "the record is gone")
        #expect(!issued.standardErrorText.contains(bind.secret))
        #expect(issued.standardErrorText.contains("badNonce"), "Pebble's nonce rejections were retried")
    }

    /// A renewal repeats cert issue's dns-01 settings with the TSIG secret cert issue sealed in the default
    /// credential store: nobody types it again, and it is nowhere on disk in plaintext.
    @Test func aRenewalSignsItsUpdatesWithTheSecretSealedByCertIssue() throws {
        let issued = try issue("zone", ["www.acme.test"], secret: bind.secret)
        try #require(issued.exitStatus == 0, "cert issue: \(issued.standardErrorText)\n\(pebble.log)")
        let first = try #require(try fixture.certificateDetails("zone")["id"] as? String)
        let policy = try fixture.run(["cert", "policy", "zone", "--output", "json"])
        let view = try #require(try JSONSerialization.jsonObject(with: Data(policy.standardOutput)) as? [String: Any])
        let settings = try #require(view["settings"] as? [String: String])
        #expect(settings["challenge"] == "dns-01" && settings["tsigKeyName"] == BindServer.keyName)
        #expect(settings["tsigSecretCredential"]?.hasPrefix("default/renewal-tsig-") == true, "\(settings)")
        #expect(!policy.standardOutputText.contains(bind.secret))

        let renewed = try fixture.run(["renew", "--force", "zone"])
        try #require(renewed.exitStatus == 0, "renew: \(renewed.standardOutputText)\(renewed.standardErrorText)\n\(bind.log)")
        #expect(renewed.standardOutputText.contains("zone: renewed: renewed through issuer pebble"), "\(renewed.standardOutputText)")
        #expect(try fixture.certificateDetails("zone")["id"] as? String != first)
        #expect(try bind.txt("_acme-challenge.www.acme.test").isEmpty, "the record is gone again")
        let secretBytes = Array(bind.secret.utf8)
        for (path, contents) in fixture.dataDirectoryContents() {
            #expect(contents.count < secretBytes.count || !contents.indices.dropLast(secretBytes.count - 1).contains {
                Array(contents[$0..<($0 + secretBytes.count)]) == secretBytes
            }, "the TSIG secret is in plaintext in \(path)")
        }

        // Removing the lineage removes what belonged to it alone: its renewal settings and the sealed secret.
        let reference = try #require(settings["tsigSecretCredential"])
        let credentialID = String(reference.dropFirst("default/".count))
        func credentialIDs() throws -> String {
            let listed = try fixture.run(["credstore", "credentials", "list", "--storename", "default", "--output", "json"])
            try #require(listed.exitStatus == 0, "credentials list: \(listed.standardErrorText)")
            return listed.standardOutputText
        }
        #expect(try credentialIDs().contains(credentialID))
        let removed = try fixture.run(["cert", "remove", "zone"])
        try #require(removed.exitStatus == 0, "cert remove: \(removed.standardErrorText)")
        #expect(removed.standardOutputText.contains("its sealed TSIG secret (credential \(reference)) was destroyed"),
                "\(removed.standardOutputText)")
        #expect(try !credentialIDs().contains(credentialID), "the sealed TSIG secret is gone")
        let gone = try fixture.run(["cert", "policy", "zone", "--output", "json"])
        #expect(!gone.standardOutputText.contains("renewal-tsig-"), "no renewal settings are left: \(gone.standardOutputText)")
    }

    @Test func aWrongTSIGSecretIsRefusedClearlyAndTheOrderStaysResumable() throws {
        let wrong = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let refused = try issue("zone", ["www.acme.test"], secret: wrong)
        #expect(refused.exitStatus == 1)
        #expect(refused.standardErrorText.contains("DNS server \(bind.address)"), "\(refused.standardErrorText)")
        #expect(refused.standardErrorText.contains("NOTAUTH") || refused.standardErrorText.contains("TSIG"))
        #expect(refused.standardErrorText.contains("resume"))
        #expect(!refused.standardErrorText.contains(wrong), "the secret is not echoed")
        #expect(try bind.txt("_acme-challenge.www.acme.test").isEmpty, "nothing was published")

        let resumed = try fixture.run(["cert", "issue", "zone", "--issuer", "pebble", "--tsig-secret", "-"],
                                      standardInput: Array((bind.secret + "\n").utf8))
        try #require(resumed.exitStatus == 0, "resume: \(resumed.standardErrorText)\n\(bind.log)")
        #expect(resumed.standardOutputText.contains("(resumed order)"))
        let orders = try fixture.run(["cert", "orders", "--output", "json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(orders.standardOutput)) as? [[String: Any]])
        #expect(list.count == 1 && list.first?["state"] as? String == "completed")
        let settings = try #require(list.first?["challenge_settings"] as? [String: String])
        #expect(settings["tsigKeyName"] == BindServer.keyName)
        #expect(!orders.standardOutputText.contains(bind.secret), "the TSIG secret is not stored with the order")
    }

    @Test func thePreferredChainIsChosenAmongTheAlternates() throws {
        let alternates = try PebbleServer(httpPort: Loopback.freePort(), requireEAB: false, dnsServer: bind.address,
                                          environment: ["PEBBLE_ALTERNATE_ROOTS": "2", "PEBBLE_VA_NOSLEEP": "1"])
        let subject = try ProcessRunner.run("openssl", ["x509", "-in", try alternates.rootFile(2), "-noout", "-subject",
                                                        "-nameopt", "multiline"])
        let commonName = try #require(subject.standardOutputText.split(separator: "\n")
            .first { $0.contains("commonName") }?.split(separator: "=").last?.trimmingCharacters(in: .whitespaces))
        let added = try fixture.run(["issuer", "add", "acme", "--name", "alt", "--directory", alternates.directoryURL,
                                     "--ca-bundle", alternates.caBundle, "--agree-tos", "--preferred-chain", commonName])
        try #require(added.exitStatus == 0, "issuer add: \(added.standardErrorText)")
        let issued = try fixture.run(["cert", "issue", "alt", "--issuer", "alt", "--cn", "www.acme.test", "--challenge", "dns-01",
                                      "--dns-server", bind.address, "--tsig-key", BindServer.keyName, "--tsig-secret", "-"],
                                     standardInput: Array((bind.secret + "\n").utf8))
        try #require(issued.exitStatus == 0, "cert issue: \(issued.standardErrorText)")
        let shown = try fixture.run(["cert", "show", "alt", "--pem"])
        let directory = try TemporaryDirectory("og-alt-chain")
        try LocalFiles.writeAtomically(directory.file("chain.pem"), contents: shown.standardOutput)
        let issuers = try ProcessRunner.run("sh", ["-c", "openssl crl2pkcs7 -nocrl -certfile \(directory.file("chain.pem")) "
                                                    + "| openssl pkcs7 -print_certs -noout"])
        #expect(issuers.standardOutputText.contains("issuer=CN = \(commonName)"), "\(issuers.standardOutputText)")
    }

    @Test func everyCARequestGoesThroughTheConfiguredProxy() throws {
        let work = try TemporaryDirectory("og-acme-proxy")
        let proxy = try TinyproxyStandIn(directory: work)
        let set = try fixture.run(["proxy", "set", "--host", "127.0.0.1", "--port", "\(proxy.port)"])
        try #require(set.exitStatus == 0, "proxy set: \(set.standardErrorText)")
        let added = try fixture.run(["issuer", "add", "acme", "--name", "proxied", "--directory",
                                     "https://localhost:\(pebble.port)/dir", "--ca-bundle", pebble.caBundle, "--agree-tos"])
        try #require(added.exitStatus == 0, "issuer add: \(added.standardErrorText)")
        let afterAdd = proxy.connects(toPort: pebble.port)
        #expect(afterAdd >= 1, "the account was registered through the proxy")
        let issued = try fixture.run(["cert", "issue", "proxied", "--issuer", "proxied", "--cn", "www.acme.test",
                                      "--challenge", "dns-01", "--dns-server", bind.address, "--tsig-key", BindServer.keyName,
                                      "--tsig-secret", "env:OG_TEST_TSIG"], extraEnvironment: ["OG_TEST_TSIG": bind.secret])
        try #require(issued.exitStatus == 0, "cert issue: \(issued.standardErrorText)")
        #expect(proxy.connects(toPort: pebble.port) > afterAdd, "the order went through the proxy too")
    }

    @Test func aRunKilledAfterPublishingTheRecordIsResumedAndTheRecordRemoved() throws {
        let crashed = try fixture.run(["cert", "issue", "zone", "--issuer", "pebble", "--cn", "www.acme.test", "--challenge",
                                       "dns-01", "--dns-server", bind.address, "--tsig-key", BindServer.keyName,
                                       "--tsig-secret", "env:OG_TEST_TSIG"],
                                      extraEnvironment: ["OG_TEST_TSIG": bind.secret, "OG_FAULT_INJECT": "acme-after-challenge"])
        #expect(crashed.exitStatus == 70, "\(crashed.standardErrorText)")
        #expect(try bind.txt("_acme-challenge.www.acme.test").count == 1, "the interrupted run left its record")
        let resumed = try fixture.run(["cert", "issue", "zone", "--issuer", "pebble", "--tsig-secret", "env:OG_TEST_TSIG"],
                                      extraEnvironment: ["OG_TEST_TSIG": bind.secret])
        try #require(resumed.exitStatus == 0, "resume: \(resumed.standardErrorText)")
        #expect(resumed.standardOutputText.contains("(resumed order)"))
        #expect(try bind.txt("_acme-challenge.www.acme.test").isEmpty, "the resumed run removed it")
    }
}
