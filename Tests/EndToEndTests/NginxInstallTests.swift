import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `tls nodes` and `tls install` against a real nginx in Debian's layout: the
/// host writes, nginx reloads, a real handshake proves what is served, and
/// every failure leaves the old certificate served and the configuration
/// byte-identical.
@Suite struct NginxInstallTests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let nginx: NginxTestInstance

    init() throws {
        fixture = try GatewayFixture(plugins: ["nginx"])
        pki = try TestPKI()
        nginx = try NginxTestInstance(pki: pki)
    }

    func addEndpoint(binary: String = NginxTestInstance.binary) throws {
        let added = try fixture.run(["tls", "add", "nginx", "--name", "web"] + nginx.options(binary: binary))
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
    }

    func install(_ leaf: (certificate: String, key: String), _ extra: [String] = [],
                 environment: [String: String] = [:]) throws -> ProcessOutput {
        try fixture.run(["tls", "install", "web", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain] + extra,
                        extraEnvironment: environment)
    }

    @Test func nodesListEachTLSServerBlockWithConfiguredAndServedCertificates() throws {
        try nginx.start()
        try addEndpoint()
        let nodes = try fixture.run(["tls", "nodes", "web", "--output", "json"])
        #expect(nodes.exitStatus == 0, "\(nodes.standardErrorText)")
        let text = nodes.standardOutputText
        #expect(text.contains("\"id\" : \"alpha.example.test:\(nginx.tlsPort)\""), "\(text)")
        #expect(text.contains("\"id\" : \"beta.example.test:\(nginx.tlsPort)\""))
        #expect(text.contains("www.alpha.example.test"), "the second server_name is an alias")
        #expect(text.contains("default_server"))
        #expect(text.contains("sites-available/sites:2"), "the detail names the block's file and line: \(text)")
        // The HTTP-only default server and the redirect are not TLS nodes.
        #expect(!text.contains("\"_:"))
        #expect(!text.contains(":\(nginx.httpPort)\""))
        for name in ["alpha", "beta"] {
            #expect(text.contains(try pki.fingerprint(nginx.directory.file("ssl/\(name).pem"))))
        }
        #expect(text.components(separatedBy: "\"mismatch\" : false").count == 3, "configured and served agree: \(text)")
    }

    @Test func installServesTheNewCertificateAndChangesOnlyTheBlocksCertificateLines() throws {
        try nginx.start()
        try addEndpoint()
        let before = try nginx.configurationSnapshot()
        let alphaBefore = try nginx.servedFingerprint("alpha.example.test")
        let leaf = try pki.issue("beta-new", dnsNames: ["beta.example.test"])

        let result = try install(leaf)
        #expect(result.exitStatus == 0, "\(result.standardErrorText)\(result.standardOutputText)")
        let expected = try pki.fingerprint(leaf.certificate)
        #expect(try nginx.servedFingerprint("beta.example.test") == expected)
        #expect(try nginx.servedFingerprint("beta.example.test", address: "::1") == expected, "the IPv6 listener too")
        #expect(try nginx.servedFingerprint("alpha.example.test") == alphaBefore, "the other server is untouched")

        let after = try nginx.configurationSnapshot()
        let stem = "og-beta.example.test_\(nginx.tlsPort)"
        let changedFiles = Set(after.keys.filter { before[$0] != after[$0] })
        // sites-enabled/sites is Debian's symlink to the edited file, and stays a symlink.
        #expect(changedFiles == ["sites-available/sites", "sites-enabled/sites", "\(stem).crt", "\(stem).key"],
                "\(changedFiles.sorted())")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: nginx.directory.file("sites-enabled/sites"))
                == "../sites-available/sites")
        let oldLines = String(decoding: before["sites-available/sites"] ?? [], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let newLines = try nginx.text("sites-available/sites").split(separator: "\n", omittingEmptySubsequences: false)
        #expect(oldLines.count == newLines.count)
        let differing = zip(oldLines, newLines).filter { $0 != $1 }
        #expect(differing.map(\.1) == [
            "    ssl_certificate     \(nginx.path)/\(stem).crt;  # beta's { certificate }",
            "    ssl_certificate_key \(nginx.path)/\(stem).key;",
        ], "only beta's two lines change, indentation and comments kept")
        let keyMode = try FileManager.default.attributesOfItem(atPath: nginx.directory.file("\(stem).key"))[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: nginx.path).filter { $0.contains("og-backup") }.isEmpty)

        // A second install reuses the node's files: only they change, the configuration does not.
        let renewed = try pki.issue("beta-renewed", dnsNames: ["beta.example.test"])
        let second = try install(renewed)
        #expect(second.exitStatus == 0, "\(second.standardErrorText)")
        #expect(try nginx.servedFingerprint("beta.example.test") == (try pki.fingerprint(renewed.certificate)))
        #expect(try nginx.text("sites-available/sites") == newLines.joined(separator: "\n"))
    }

    @Test func installByNodeIDReachesTheDefaultServer() throws {
        try nginx.start()
        try addEndpoint()
        let leaf = try pki.issue("alpha-new", dnsNames: ["alpha.example.test", "www.alpha.example.test"])
        let result = try install(leaf, ["--node", "alpha.example.test:\(nginx.tlsPort)"])
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
        #expect(try nginx.servedFingerprint("www.alpha.example.test") == (try pki.fingerprint(leaf.certificate)))
        #expect(try nginx.text("sites-available/sites").contains("\tssl_certificate_key \(nginx.path)/og-alpha.example.test_\(nginx.tlsPort).key;\n"),
                "the tab indentation is kept and the quotes are no longer needed")
    }

    @Test func certificateMatchingNoServerIsRefusedWithTheCandidates() throws {
        try addEndpoint()
        let before = try nginx.configurationSnapshot()
        let leaf = try pki.issue("other", dnsNames: ["other.example.test"])
        let result = try install(leaf)
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("no TLS server block has a server_name the certificate covers"), "\(result.standardErrorText)")
        #expect(result.standardErrorText.contains("alpha.example.test:\(nginx.tlsPort)"))
        #expect(result.standardErrorText.contains("beta.example.test:\(nginx.tlsPort)"))
        #expect(try nginx.configurationSnapshot() == before)
    }

    @Test func dryRunShowsTheDiffAndChangesNothing() throws {
        try nginx.start()
        try addEndpoint()
        let before = try nginx.configurationSnapshot()
        let served = try nginx.servedFingerprint("beta.example.test")
        let leaf = try pki.issue("beta-new", dnsNames: ["beta.example.test"])
        let dry = try install(leaf, ["--dry-run"])
        #expect(dry.exitStatus == 0, "\(dry.standardErrorText)")
        let output = dry.standardOutputText
        #expect(output.contains("-    ssl_certificate_key \(nginx.path)/ssl/beta.key;"), "\(output)")
        #expect(output.contains("+    ssl_certificate_key \(nginx.path)/og-beta.example.test_\(nginx.tlsPort).key;"))
        #expect(output.contains("Dry run: nothing was changed."))
        #expect(try nginx.configurationSnapshot() == before)
        #expect(try nginx.servedFingerprint("beta.example.test") == served)
    }

    @Test func brokenConfigurationIsRolledBackAndTheOldCertificateStaysServed() throws {
        try nginx.start()
        try addEndpoint()
        // nginx is running with the good configuration; a later edit breaks it for nginx -t.
        try nginx.write("conf.d/broken.conf", "og_no_such_directive on;\n")
        let before = try nginx.configurationSnapshot()
        let served = try nginx.servedFingerprint("beta.example.test")
        let result = try install(try pki.issue("beta-new", dnsNames: ["beta.example.test"]))
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("og_no_such_directive"), "nginx's own complaint: \(result.standardErrorText)")
        #expect(result.standardErrorText.contains("rolled back"))
        #expect(try nginx.configurationSnapshot() == before, "byte-identical, new files removed")
        #expect(try nginx.servedFingerprint("beta.example.test") == served)
    }

    @Test func failingReloadIsRolledBackAndTheOldCertificateStaysServed() throws {
        try nginx.start()
        // nginx itself, except that a reload signal is refused.
        let wrapper = nginx.directory.file("nginx-no-reload")
        try LocalFiles.writeAtomically(wrapper, contents: Array("""
            #!/bin/sh
            for argument in "$@"; do
              if [ "$argument" = "-s" ]; then echo "nginx: reload refused by the test" >&2; exit 1; fi
            done
            exec \(NginxTestInstance.binary) "$@"

            """.utf8), mode: 0o755)
        try addEndpoint(binary: wrapper)
        let before = try nginx.configurationSnapshot()
        let served = try nginx.servedFingerprint("beta.example.test")
        let result = try install(try pki.issue("beta-new", dnsNames: ["beta.example.test"]))
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("reload refused by the test"), "\(result.standardErrorText)")
        #expect(result.standardErrorText.contains("rolled back"))
        #expect(try nginx.configurationSnapshot() == before)
        #expect(try nginx.servedFingerprint("beta.example.test") == served)
    }

    @Test func keyNotMatchingItsCertificateIsRefusedAndNothingReloads() throws {
        try nginx.start()
        try addEndpoint()
        let served = try nginx.servedFingerprint("beta.example.test")
        let before = try nginx.configurationSnapshot()
        let one = try pki.issue("one", dnsNames: ["beta.example.test"])
        let two = try pki.issue("two", dnsNames: ["beta.example.test"])
        let refused = try install((one.certificate, two.key))
        #expect(refused.exitStatus != 0)
        #expect(try nginx.configurationSnapshot() == before)

        // A key swapped on disk behind og-host's back: the restart's check names it before any reload.
        try LocalFiles.writeAtomically(nginx.directory.file("ssl/beta.key"), contents: try LocalFiles.read(two.key), mode: 0o600)
        let restart = try fixture.run(["tls", "restart", "web"])
        #expect(restart.exitStatus != 0)
        #expect(restart.standardErrorText.contains("the private key \(nginx.path)/ssl/beta.key does not match the certificate"),
                "\(restart.standardErrorText)")
        #expect(try nginx.servedFingerprint("beta.example.test") == served, "nginx was not reloaded with the mismatch")
    }

    /// The pair being installed was proved on the gateway before planning, so the configuration test
    /// runs no openssl for it; every other server's pair is still checked on the endpoint, where its key stays.
    @Test func theInstalledPairIsProvedOnTheGatewayAndEveryOtherPairOnTheEndpoint() throws {
        try nginx.start()
        try addEndpoint()
        let stem = "og-beta.example.test_\(nginx.tlsPort)"
        let leaf = try pki.issue("beta-new", dnsNames: ["beta.example.test"])
        let result = try install(leaf, ["--verbose"])
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
        let log = result.standardErrorText
        #expect(log.contains("openssl x509 -noout -pubkey -in \(nginx.path)/ssl/alpha.pem"), "alpha's pair is checked: \(log)")
        #expect(log.contains("openssl pkey -pubout -passin pass: -in \(nginx.path)/ssl/alpha.key"))
        #expect(!log.contains("-in \(nginx.path)/\(stem).crt") && !log.contains("-in \(nginx.path)/\(stem).key"),
                "no openssl run for the installed pair: \(log)")
        #expect(try nginx.servedFingerprint("beta.example.test") == (try pki.fingerprint(leaf.certificate)))

        // Another server's key swapped behind og-host's back still stops the next install before any reload.
        let served = try nginx.servedFingerprint("beta.example.test")
        let stranger = try pki.issue("stranger", dnsNames: ["alpha.example.test"])
        try LocalFiles.writeAtomically(nginx.directory.file("ssl/alpha.key"), contents: try LocalFiles.read(stranger.key), mode: 0o600)
        let refused = try install(try pki.issue("beta-next", dnsNames: ["beta.example.test"]))
        #expect(refused.exitStatus != 0)
        #expect(refused.standardErrorText.contains("the private key \(nginx.path)/ssl/alpha.key does not match the certificate"),
                "\(refused.standardErrorText)")
        #expect(try nginx.servedFingerprint("beta.example.test") == served, "rolled back, nothing reloaded")
    }

    @Test func crashBeforeActivationIsRecoveredFromTheJournal() throws {
        try nginx.start()
        try addEndpoint()
        let before = try nginx.configurationSnapshot()
        let served = try nginx.servedFingerprint("beta.example.test")
        let leaf = try pki.issue("beta-new", dnsNames: ["beta.example.test"])
        let crashed = try install(leaf, environment: ["OG_FAULT_INJECT": "before-activate"])
        #expect(crashed.exitStatus == 70, "\(crashed.standardErrorText)")
        #expect(try nginx.configurationSnapshot() != before, "the crash came after the files were written")

        let recovered = try fixture.run(["tls", "recover", "web"])
        #expect(recovered.exitStatus == 0, "\(recovered.standardErrorText)")
        #expect(recovered.standardOutputText.contains("recovered"))
        #expect(try nginx.configurationSnapshot() == before, "configuration restored, new files removed")
        #expect(try nginx.servedFingerprint("beta.example.test") == served)

        let retried = try install(leaf)
        #expect(retried.exitStatus == 0, "\(retried.standardErrorText)")
        #expect(try nginx.servedFingerprint("beta.example.test") == (try pki.fingerprint(leaf.certificate)))
    }

    @Test func restartPicksUpCertificatesChangedOnDisk() throws {
        try nginx.start()
        try addEndpoint()
        let leaf = try pki.issue("beta-manual", dnsNames: ["beta.example.test"])
        try LocalFiles.writeAtomically(nginx.directory.file("ssl/beta.pem"), contents: try LocalFiles.read(leaf.certificate))
        try LocalFiles.writeAtomically(nginx.directory.file("ssl/beta.key"), contents: try LocalFiles.read(leaf.key), mode: 0o600)
        let restart = try fixture.run(["tls", "restart", "web"])
        #expect(restart.exitStatus == 0, "\(restart.standardErrorText)")
        let expected = try pki.fingerprint(leaf.certificate)
        var served = ""
        // nginx -s reload only signals the master; the new workers take a moment to start.
        for _ in 0..<50 where served != expected {
            served = try nginx.servedFingerprint("beta.example.test")
            if served != expected { usleep(200_000) }
        }
        #expect(served == expected)
    }

    /// Another site's broken pair already on disk makes the configuration
    /// check fail before anything is activated: the rollback restores the
    /// files and does not reload nginx (a reload would pick up that broken
    /// pair), and the report says nothing was reloaded.
    @Test func rollbackBeforeActivationDoesNotReload() throws {
        try nginx.start()
        let calls = nginx.directory.file("nginx-calls.log")
        let wrapper = nginx.directory.file("nginx-recording")
        try LocalFiles.writeAtomically(wrapper, contents: Array("""
            #!/bin/sh
            echo "$*" >> \(calls)
            exec \(NginxTestInstance.binary) "$@"

            """.utf8), mode: 0o755)
        try addEndpoint(binary: wrapper)
        let alphaServed = try nginx.servedFingerprint("alpha.example.test")
        let betaServed = try nginx.servedFingerprint("beta.example.test")
        // alpha's key on disk no longer matches its certificate (nginx still serves the pair it loaded).
        let stray = try pki.issue("stray", dnsNames: ["stray.example.test"])
        try LocalFiles.writeAtomically(nginx.directory.file("ssl/alpha.key"), contents: try LocalFiles.read(stray.key), mode: 0o600)
        let before = try nginx.configurationSnapshot()
        let result = try install(try pki.issue("beta-new", dnsNames: ["beta.example.test"]))
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("nothing was reloaded"), "\(result.standardErrorText)")
        #expect(!result.standardErrorText.contains("ROLLBACK INCOMPLETE"))
        #expect(result.standardErrorText.contains("rolled back: restored"), "\(result.standardErrorText)")
        #expect(try nginx.configurationSnapshot() == before)
        let log = (try? String(contentsOfFile: calls, encoding: .utf8)) ?? ""
        #expect(!log.contains("-s reload"), "nginx was reloaded during the rollback: \(log)")
        #expect(try nginx.servedFingerprint("alpha.example.test") == alphaServed)
        #expect(try nginx.servedFingerprint("beta.example.test") == betaServed)
    }
}
