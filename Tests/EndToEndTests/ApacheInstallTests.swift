import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The apache plugin against a real Debian apache2 in a private directory:
/// discovery through the Debian layout, installs verified by what httpd
/// serves, and every failure leaving the old certificate served and the
/// configuration byte-identical.
@Suite struct ApacheInstallTests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let work: TemporaryDirectory
    let apache: ApacheInstance

    init() throws {
        fixture = try GatewayFixture(plugins: ["apache"])
        pki = try TestPKI()
        work = try TemporaryDirectory("og-apache")
        apache = try ApacheInstance(in: work.path, ownedBy: work, pki: pki)
        try apache.start()
    }

    func addEndpoint(apachectl: String = ApacheInstance.binary) throws {
        let added = try fixture.run(["tls", "add", "apache", "--name", "web", "--connection_type", "local"]
            + apache.addOptions(apachectl: apachectl))
        try #require(added.exitStatus == 0, "tls add: \(added.standardErrorText)")
    }

    func install(_ leaf: (certificate: String, key: String), _ extra: [String] = [],
                 environment: [String: String] = [:]) throws -> ProcessOutput {
        try fixture.run(["tls", "install", "web", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain] + extra,
                        extraEnvironment: environment)
    }

    /// Asserts the failed install left everything as it was and httpd still serves the old certificates.
    func expectUntouched(since before: [String: [UInt8]]) throws {
        let after = apache.snapshot()
        #expect(after.keys.sorted() == before.keys.sorted(), "files added or removed")
        for (path, bytes) in before where after[path] != bytes { Issue.record("\(path) changed") }
        #expect(apache.isRunning, "httpd is still running: \(apache.errorLog)")
        #expect(try apache.servedFingerprint("shop.example.test") == pki.fingerprint(apache.originalShopCertificate))
        #expect(try apache.servedFingerprint("blog.example.test") == pki.fingerprint(apache.originalBlogCertificate))
    }

    @Test func nodesListsEveryTLSVirtualHostWithItsConfiguredAndServedCertificate() throws {
        try addEndpoint()
        let nodes = try fixture.run(["tls", "nodes", "web", "--output", "json"])
        #expect(nodes.exitStatus == 0, "\(nodes.standardErrorText)")
        let text = nodes.standardOutputText
        #expect(text.contains(apache.shopID))
        #expect(text.contains(apache.blogID))
        #expect(text.contains("www.shop.example.test"), "ServerAlias is an alias")
        #expect(!text.contains("plain.example.test"), "the HTTP-only virtual host is not a TLS node")
        #expect(!text.contains("never.pem"), "an <IfDefine> that is not defined is skipped")
        #expect(text.contains(apache.file("certs/shop.pem")), "quoted ${CERTS} path resolved")
        #expect(text.contains(try pki.fingerprint(apache.originalShopCertificate)))
        #expect(text.contains(try pki.fingerprint(apache.originalBlogCertificate)))
        #expect(text.contains("sites-available/shop.conf:3") || text.contains("sites-enabled/shop.conf:3"))
        #expect(!text.contains("\"mismatch\" : true"), "configured and served agree: \(text)")

        // A certificate replaced on disk but not yet loaded shows up as a mismatch.
        let pending = try pki.issue("blog-pending", dnsNames: ["blog.example.test"])
        try LocalFiles.writeAtomically(apache.file("certs/blog.pem"), contents: try LocalFiles.read(pending.certificate))
        let after = try fixture.run(["tls", "nodes", "web", "--output", "json"])
        #expect(after.exitStatus == 0, "\(after.standardErrorText)")
        #expect(after.standardOutputText.contains("\"mismatch\" : true"), "\(after.standardOutputText)")
        #expect(after.standardOutputText.contains(try pki.fingerprint(pending.certificate)))
    }

    @Test func installByCertificateNamesServesTheNewCertificateAndEditsOnlyThatVirtualHost() throws {
        try addEndpoint()
        let before = apache.snapshot()
        let leaf = try pki.issue("shop-new", dnsNames: ["www.shop.example.test"])
        let installed = try install(leaf)
        #expect(installed.exitStatus == 0, "\(installed.standardErrorText)\n\(apache.errorLog)")
        #expect(try apache.servedFingerprint("shop.example.test") == pki.fingerprint(leaf.certificate))
        #expect(try apache.servedFingerprint("shop.example.test", address: "::1") == pki.fingerprint(leaf.certificate),
                "the [::1] address of the same virtual host serves it too")
        #expect(try apache.servedFingerprint("blog.example.test") == pki.fingerprint(apache.originalBlogCertificate))

        let after = apache.snapshot()
        let stem = "og-" + apache.shopID.replacingOccurrences(of: "@", with: "_").replacingOccurrences(of: ":", with: "_")
        let oldLines = String(decoding: before["sites-available/shop.conf"] ?? [], as: UTF8.self).components(separatedBy: "\n")
        let newLines = String(decoding: after["sites-available/shop.conf"] ?? [], as: UTF8.self).components(separatedBy: "\n")
        let certificateDirectory = apache.file("certs")
        #expect(newLines.contains("\tSSLCertificateFile \(certificateDirectory)/\(stem).crt"), "\(newLines)")
        #expect(newLines.contains("\tSSLCertificateKeyFile \(certificateDirectory)/\(stem).key"), "continued line joined, indentation kept")
        #expect(newLines.contains { $0.hasPrefix("\t# SSLCertificateChainFile ") }, "the separate chain file is retired")
        #expect(newLines.count == oldLines.count - 1, "the two physical lines of the continued directive became one")
        let changed = Set(newLines).subtracting(oldLines)
        #expect(changed.count == 3, "only the three certificate directives changed: \(changed)")
        for (path, bytes) in before where path != "sites-available/shop.conf" {
            #expect(after[path] == bytes, "\(path) is untouched")
        }
        let keyMode = try FileManager.default.attributesOfItem(atPath: "\(certificateDirectory)/\(stem).key")[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: certificateDirectory).filter { $0.contains("og-backup") }.isEmpty)

        // A second install only rewrites the per-node files: the configuration already points at them.
        let configuration = after["sites-available/shop.conf"]
        let again = try pki.issue("shop-again", dnsNames: ["shop.example.test"])
        let second = try install(again)
        #expect(second.exitStatus == 0, "\(second.standardErrorText)")
        #expect(try apache.servedFingerprint("www.shop.example.test") == pki.fingerprint(again.certificate))
        #expect(try LocalFiles.read(apache.file("sites-available/shop.conf")) == configuration)

        let restarted = try fixture.run(["tls", "restart", "web"])
        #expect(restarted.exitStatus == 0, "\(restarted.standardErrorText)")
        #expect(try apache.servedFingerprint("shop.example.test") == pki.fingerprint(again.certificate))
    }

    @Test func installByNodeIDAndRefusalOfAmbiguousNames() throws {
        try addEndpoint()
        let both = try pki.issue("both", dnsNames: ["shop.example.test", "blog.example.test"])
        let before = apache.snapshot()
        let ambiguous = try install(both)
        #expect(ambiguous.exitStatus != 0)
        #expect(ambiguous.standardErrorText.contains(apache.shopID) && ambiguous.standardErrorText.contains(apache.blogID),
                "the error lists the candidates: \(ambiguous.standardErrorText)")
        try expectUntouched(since: before)

        let chosen = try install(both, ["--node", apache.blogID])
        #expect(chosen.exitStatus == 0, "\(chosen.standardErrorText)")
        #expect(try apache.servedFingerprint("blog.example.test") == pki.fingerprint(both.certificate))
        #expect(try apache.servedFingerprint("shop.example.test") == pki.fingerprint(apache.originalShopCertificate))
    }

    @Test func dryRunShowsTheDiffAndChangesNothing() throws {
        try addEndpoint()
        let before = apache.snapshot()
        let leaf = try pki.issue("shop-new", dnsNames: ["shop.example.test"])
        let dry = try install(leaf, ["--dry-run"])
        #expect(dry.exitStatus == 0, "\(dry.standardErrorText)")
        #expect(dry.standardOutputText.contains("-\tSSLCertificateFile \"${CERTS}/shop.pem\""), "\(dry.standardOutputText)")
        #expect(dry.standardOutputText.contains("+\tSSLCertificateFile \(apache.file("certs"))/og-"))
        #expect(dry.standardOutputText.contains("Dry run: nothing was changed."))
        try expectUntouched(since: before)
    }

    @Test func brokenConfigurationIsRolledBackWithTheOldCertificateStillServed() throws {
        try addEndpoint()
        // A mistake made after httpd started: its running configuration is fine, the files are not.
        try LocalFiles.writeAtomically(apache.file("conf-enabled/typo.conf"), contents: Array("SSLProtocoll all\n".utf8))
        let before = apache.snapshot()
        let installed = try install(try pki.issue("shop-new", dnsNames: ["shop.example.test"]))
        #expect(installed.exitStatus != 0)
        #expect(installed.standardErrorText.contains("SSLProtocoll"), "httpd's own complaint: \(installed.standardErrorText)")
        #expect(installed.standardErrorText.contains("rolled back"), "\(installed.standardErrorText)")
        try expectUntouched(since: before)
    }

    @Test func mismatchedKeyIsCaughtBeforeTheGracefulRestartThatWouldStopHttpd() throws {
        try addEndpoint()
        // Someone replaced blog's key on disk; `apache2 -t` does not notice, a graceful restart would die on it.
        let stray = try pki.issue("stray", dnsNames: ["stray.example.test"])
        try LocalFiles.writeAtomically(apache.file("certs/blog.key"), contents: try LocalFiles.read(stray.key), mode: 0o600)
        let syntax = try ProcessRunner.run(ApacheInstance.binary, ["-d", apache.root, "-f", apache.configFile, "-t"])
        #expect(syntax.exitStatus == 0, "httpd's own test passes despite the mismatch")
        let before = apache.snapshot()
        let installed = try install(try pki.issue("shop-new", dnsNames: ["shop.example.test"]))
        #expect(installed.exitStatus != 0)
        #expect(installed.standardErrorText.contains("does not belong to the certificate"), "\(installed.standardErrorText)")
        #expect(installed.standardErrorText.contains(apache.file("certs/blog.key")))
        try expectUntouched(since: before)
    }

    @Test func failedGracefulRestartIsRolledBackAndTheRestoredFilesReloaded() throws {
        let scripts = try TemporaryDirectory("og-apachectl")
        let marker = scripts.file("refuse-next-graceful")
        let wrapper = scripts.file("apachectl")
        try LocalFiles.writeAtomically(wrapper, contents: Array("""
            #!/bin/sh
            for argument in "$@"; do
              if [ "$argument" = graceful ] && [ -e '\(marker)' ]; then
                rm -f '\(marker)'
                echo 'graceful restart refused by the test' >&2
                exit 1
              fi
            done
            exec \(ApacheInstance.binary) "$@"

            """.utf8), mode: 0o755)
        try addEndpoint(apachectl: wrapper)
        try LocalFiles.writeAtomically(marker, contents: [])
        let before = apache.snapshot()
        let installed = try install(try pki.issue("shop-new", dnsNames: ["shop.example.test"]))
        #expect(installed.exitStatus != 0)
        #expect(installed.standardErrorText.contains("graceful restart refused by the test"), "\(installed.standardErrorText)")
        #expect(installed.standardErrorText.contains("rolled back"))
        #expect(!LocalFiles.exists(marker), "the wrapper saw the graceful restart")
        try expectUntouched(since: before)
    }

    @Test func unparseableConfigurationFailsWithFileAndLineAndChangesNothing() throws {
        try addEndpoint()
        try LocalFiles.writeAtomically(apache.file("conf-enabled/versioned.conf"), contents: Array("""
            # og-host cannot evaluate <IfVersion>; what it includes could add TLS virtual hosts.
            <IfVersion >= 2.4>
            \tIncludeOptional sites-extra/*.conf
            </IfVersion>

            """.utf8))
        let before = apache.snapshot()
        let nodes = try fixture.run(["tls", "nodes", "web"])
        #expect(nodes.exitStatus != 0)
        #expect(nodes.standardErrorText.contains("conf-enabled/versioned.conf:3"), "\(nodes.standardErrorText)")
        let installed = try install(try pki.issue("shop-new", dnsNames: ["shop.example.test"]))
        #expect(installed.exitStatus != 0)
        #expect(installed.standardErrorText.contains("versioned.conf:3"), "\(installed.standardErrorText)")
        try expectUntouched(since: before)
    }

    @Test func crashBeforeTheGracefulRestartIsRecoveredFromTheJournal() throws {
        try addEndpoint()
        let before = apache.snapshot()
        let leaf = try pki.issue("shop-new", dnsNames: ["shop.example.test"])
        let crashed = try install(leaf, environment: ["OG_FAULT_INJECT": "before-activate"])
        #expect(crashed.exitStatus == 70, "\(crashed.standardErrorText)")
        #expect(try LocalFiles.read(apache.file("sites-available/shop.conf")) != before["sites-available/shop.conf"],
                "the crash came after the configuration was rewritten")

        let recovered = try fixture.run(["tls", "recover", "web"])
        #expect(recovered.exitStatus == 0, "\(recovered.standardErrorText)")
        try expectUntouched(since: before)

        let installed = try install(leaf)
        #expect(installed.exitStatus == 0, "\(installed.standardErrorText)")
        #expect(try apache.servedFingerprint("shop.example.test") == pki.fingerprint(leaf.certificate))
    }

    @Test func pluginCheckPasses() throws {
        let result = try fixture.run(["plugin", "check", "\(fixture.pluginsDirectory)/libog-plugin-apache.so"])
        #expect(result.exitStatus == 0, "\(result.standardOutputText)\(result.standardErrorText)")
    }
}
