import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `tls install` with several nodes and endpoints: every `--node` is honoured
/// (a second one used to be dropped silently), repeats are refused with the
/// option named, and a missing endpoint stops the command before anything is touched.
@Suite struct TLSInstallManyTests {
    let fixture: GatewayFixture
    let pki: TestPKI

    init() throws {
        fixture = try GatewayFixture(plugins: ["nginx"])
        pki = try TestPKI()
    }

    func addNginx(_ name: String, _ nginx: NginxTestInstance) throws {
        let added = try fixture.run(["tls", "add", "nginx", "--name", name] + nginx.localOptions)
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
    }

    @Test func tlsInstallHonoursEveryNodeAndEndpointAndRefusesRepeats() throws {
        let nginx = try NginxTestInstance(pki: pki)
        try nginx.start()
        try addNginx("web", nginx)
        let alpha = try pki.issue("both", dnsNames: ["alpha.example.test", "beta.example.test"])
        let nodes = ["alpha.example.test:\(nginx.tlsPort)", "beta.example.test:\(nginx.tlsPort)"]
        let install = try fixture.run(["tls", "install", "web", "--cert", alpha.certificate, "--key", alpha.key, "--chain", pki.chain,
                                       "--node", nodes[0], "--node", nodes[1]])
        #expect(install.exitStatus == 0, "\(install.standardErrorText)\(install.standardOutputText)")
        let expected = try pki.fingerprint(alpha.certificate)
        #expect(try nginx.servedFingerprint("alpha.example.test") == expected, "the first --node")
        #expect(try nginx.servedFingerprint("beta.example.test") == expected, "the second --node, no longer dropped")

        let repeated = try fixture.run(["tls", "install", "web", "--cert", alpha.certificate, "--key", alpha.key, "--chain", pki.chain,
                                        "--node", nodes[0], "--node", nodes[0]])
        #expect(repeated.exitStatus == 2)
        #expect(repeated.standardErrorText.contains("--node: '\(nodes[0])' is given twice"), "\(repeated.standardErrorText)")

        // One endpoint of two missing: refused before anything is touched.
        let missing = try fixture.run(["tls", "install", "web", "nowhere", "--cert", alpha.certificate, "--key", alpha.key])
        #expect(missing.exitStatus == 3, "\(missing.standardErrorText)")
    }

    @Test func severalEndpointsEachGetTheCertificateAndOneFailureMakesItPartial() throws {
        let first = try NginxTestInstance(pki: pki)
        let second = try NginxTestInstance(pki: pki)
        try first.start()
        try second.start()
        try addNginx("one", first)
        try addNginx("two", second)
        let leaf = try pki.issue("pair", dnsNames: ["beta.example.test"])
        let expected = try pki.fingerprint(leaf.certificate)
        let both = try fixture.run(["tls", "install", "one", "two", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain])
        #expect(both.exitStatus == 0, "\(both.standardErrorText)\(both.standardOutputText)")
        #expect(try first.servedFingerprint("beta.example.test") == expected)
        #expect(try second.servedFingerprint("beta.example.test") == expected)

        try second.write("conf.d/broken.conf", "og_no_such_directive on;\n")
        let next = try pki.issue("pair-2", dnsNames: ["beta.example.test"])
        let partial = try fixture.run(["tls", "install", "one", "two", "--cert", next.certificate, "--key", next.key, "--chain", pki.chain])
        #expect(partial.exitStatus == 9, "\(partial.standardErrorText)\(partial.standardOutputText)")
        #expect(partial.standardOutputText.contains("1 of 2 installs succeeded"), "\(partial.standardOutputText)")
        #expect(partial.standardErrorText.contains("error: endpoint 'two': "), "\(partial.standardErrorText)")
        #expect(try first.servedFingerprint("beta.example.test") == (try pki.fingerprint(next.certificate)))
        #expect(try second.servedFingerprint("beta.example.test") == expected, "rolled back alone")
    }
}
