import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The tomcat plugin against a real Debian tomcat10 with a private
/// CATALINA_BASE: installs into a JKS, a PKCS#12 and a PEM connector verified
/// by what Tomcat serves, and failures that leave the old certificates served
/// and every file under conf/ byte-identical. Serialized: each test starts a
/// JVM, and two cores do not start several at once in reasonable time.
@Suite(.serialized) struct TomcatInstallTests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let work: TemporaryDirectory
    let tomcat: TomcatInstance

    init() throws {
        fixture = try GatewayFixture(plugins: ["tomcat"])
        pki = try TestPKI()
        work = try TemporaryDirectory("og-tomcat")
        tomcat = try TomcatInstance(in: work.path, ownedBy: work, pki: pki)
        try tomcat.start()
    }

    func addEndpoint(_ extra: [String] = []) throws {
        try tomcat.addLocalEndpoint(to: fixture, extra)
    }

    func install(_ leaf: (certificate: String, key: String), _ extra: [String] = [],
                 environment: [String: String] = [:]) throws -> ProcessOutput {
        try fixture.run(["tls", "install", "tc", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain] + extra,
                        extraEnvironment: environment)
    }

    /// The failed install left conf/ as it was and Tomcat serves the old certificates.
    func expectUntouched(since before: [String: [UInt8]]) throws {
        let after = tomcat.snapshot()
        #expect(after.keys.sorted() == before.keys.sorted(), "files added or removed")
        for (path, bytes) in before where after[path] != bytes { Issue.record("conf/\(path) changed") }
        #expect(tomcat.processID != nil, "Tomcat is still running: \(tomcat.catalinaOut.suffix(2000))")
        #expect(try tomcat.servedFingerprint(port: tomcat.p12Port, serverName: "p12.example.test")
                == pki.fingerprint(pki.file("p12-old.pem")))
        #expect(try tomcat.servedFingerprint(port: tomcat.pemPort, serverName: "b.example.test")
                == pki.fingerprint(pki.file("b-old.pem")))
    }

    @Test func nodesShowConfiguredAndServedCertificatesOfEveryConnector() throws {
        try addEndpoint()
        let nodes = try fixture.run(["tls", "nodes", "tc", "--output", "json"])
        #expect(nodes.exitStatus == 0, "\(nodes.standardErrorText)")
        let text = nodes.standardOutputText
        for id in ["\(tomcat.jksPort)/_default_", "\(tomcat.p12Port)/p12.example.test",
                   "\(tomcat.pemPort)/a.example.test", "\(tomcat.pemPort)/b.example.test"] {
            #expect(text.contains("\"id\" : \"\(id)\""), "node \(id)")
        }
        #expect(!text.contains("\(tomcat.httpPort)"), "the plain HTTP connector is no TLS node")
        #expect(!text.contains("\"1/"), "a connector inside a comment is no node")
        #expect(text.contains(try pki.fingerprint(pki.file("b-old.pem"))), "PEM certificate read from disk")
        #expect(text.contains(try pki.fingerprint(pki.file("p12-old.pem"))), "keystore entry opened with the password")
        #expect(text.contains(try pki.fingerprint(pki.file("jks-old.pem"))))
        #expect(text.contains("\"mismatch\" : false"))
        #expect(!text.contains("\"mismatch\" : true"))
        #expect(!text.contains(tomcat.password))
    }

    @Test func installsIntoPKCS12JKSAndPEMConnectorsAreServedAfterTheRestart() throws {
        try addEndpoint()
        let before = tomcat.snapshot()

        let shop = try pki.issue("p12-new", dnsNames: ["p12.example.test"])
        let p12 = try install(shop)
        #expect(p12.exitStatus == 0, "\(p12.standardErrorText)")
        #expect(try tomcat.servedFingerprint(port: tomcat.p12Port, serverName: "p12.example.test") == pki.fingerprint(shop.certificate))
        #expect(tomcat.snapshot()["server.xml"] == before["server.xml"], "a keystore install leaves server.xml alone")

        let b = try pki.issue("b-new", dnsNames: ["b.example.test"])
        let pem = try install(b)
        #expect(pem.exitStatus == 0, "\(pem.standardErrorText)")
        #expect(try tomcat.servedFingerprint(port: tomcat.pemPort, serverName: "b.example.test") == pki.fingerprint(b.certificate))
        #expect(try tomcat.servedFingerprint(port: tomcat.pemPort, serverName: "a.example.test")
                == pki.fingerprint(pki.file("a-old.pem")), "the other SNI name keeps its certificate")
        // Only the edited attributes changed; every other line is as it was.
        let oldLines = String(decoding: before["server.xml"] ?? [], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let newLines = String(decoding: tomcat.snapshot()["server.xml"] ?? [], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(oldLines.count == newLines.count)
        let changed = zip(oldLines, newLines).filter { $0 != $1 }
        #expect(changed.count == 3, "certificateFile, certificateKeyFile and the removed chain file: \(changed)")
        for (old, new) in changed {
            #expect(old.prefix(while: { $0 == " " }) == new.prefix(while: { $0 == " " }), "indentation kept")
        }
        let newCertificate = tomcat.file("conf/og-host-\(tomcat.pemPort)-b.example.test.crt.pem")
        #expect(newLines.contains { $0.contains("certificateFile=\"\(newCertificate)\"") })

        let java = try pki.issue("jks-new", dnsNames: ["jks.example.test"], key: "rsa")
        let jks = try install(java, ["--node", "\(tomcat.jksPort)/_default_"])
        #expect(jks.exitStatus == 0, "\(jks.standardErrorText)")
        #expect(try tomcat.servedFingerprint(port: tomcat.jksPort) == pki.fingerprint(java.certificate))
        #expect(try tomcat.servedFingerprint(port: tomcat.p12Port, serverName: "p12.example.test") == pki.fingerprint(shop.certificate))
        #expect(tomcat.snapshot().keys.filter { $0.contains("og-backup") }.isEmpty, "no backups left behind")
    }

    @Test func keyNotMatchingItsCertificateStopsTheInstallBeforeTheRestart() throws {
        try addEndpoint()
        // Node a's key is replaced behind og-host's back: Tomcat would fail that connector at the next restart.
        let stray = try pki.issue("stray", dnsNames: ["stray.example.test"])
        try LocalFiles.writeAtomically(tomcat.file("conf/tls/a.key"), contents: try LocalFiles.read(stray.key), mode: 0o600)
        let before = tomcat.snapshot()
        let pid = tomcat.processID
        let result = try install(try pki.issue("p12-new", dnsNames: ["p12.example.test"]))
        #expect(result.exitStatus != 0)
        let report = result.standardOutputText + result.standardErrorText
        #expect(report.contains("does not belong to the certificate"), "\(report)")
        #expect(report.contains("a.key"))
        try expectUntouched(since: before)
        #expect(tomcat.processID == pid, "Tomcat was not restarted")
    }

    @Test func failingRestartRestoresEveryFileAndTheOldCertificateStaysServed() throws {
        // No such unit: the restart fails, as a broken service manager would.
        try addEndpoint(["--service_name", "og-host-no-such-tomcat"])
        let before = tomcat.snapshot()
        let result = try install(try pki.issue("b-new", dnsNames: ["b.example.test"]))
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("systemctl restart og-host-no-such-tomcat"), "\(result.standardErrorText)")
        #expect(result.standardErrorText.contains("rolled back"), "\(result.standardErrorText)")
        try expectUntouched(since: before)
    }

    @Test func crashBetweenWriteAndRestartIsRecovered() throws {
        try addEndpoint()
        let before = tomcat.snapshot()
        let crashed = try install(try pki.issue("b-new", dnsNames: ["b.example.test"]),
                                  environment: ["OG_FAULT_INJECT": "before-activate"])
        #expect(crashed.exitStatus == 70, "\(crashed.standardErrorText)")
        #expect(tomcat.snapshot()["server.xml"] != before["server.xml"], "the crash left the new server.xml behind")
        let recovered = try fixture.run(["tls", "recover", "tc"])
        #expect(recovered.exitStatus == 0, "\(recovered.standardErrorText)")
        try expectUntouched(since: before)
    }

    @Test func restartOnRequestBringsTomcatBack() throws {
        try addEndpoint()
        let pid = tomcat.processID
        let restarted = try fixture.run(["tls", "restart", "tc"])
        #expect(restarted.exitStatus == 0, "\(restarted.standardErrorText)")
        #expect(tomcat.processID != nil && tomcat.processID != pid, "a new JVM serves")
        #expect(try tomcat.servedFingerprint(port: tomcat.p12Port, serverName: "p12.example.test")
                == pki.fingerprint(pki.file("p12-old.pem")))
    }
}
