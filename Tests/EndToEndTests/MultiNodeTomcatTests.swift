import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Issue 11 on a real Debian tomcat10: the plugin's nodes are SSLHostConfigs,
/// and the PEM connector's two (a.example.test, b.example.test) both live in
/// conf/server.xml. Installed as ONE transaction they must compose there (the
/// second node's attribute edit is made on the file the first node's edit
/// left, not on the original), with one Tomcat restart for both (the second
/// node's restart commands answered from the first's record), and both SNI
/// names served by the new JVM (openssl s_client). A restart that fails
/// rolls both back: every file under conf/ byte for byte, the old
/// certificates served. Two connectors on two aliases of one PKCS#12 store
/// compose in that store (keytool). Serialized: each test starts a JVM.
@Suite(.serialized) struct MultiNodeTomcatTests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let work: TemporaryDirectory
    let tomcat: TomcatInstance

    init() throws {
        fixture = try GatewayFixture(plugins: ["tomcat"])
        pki = try TestPKI()
        work = try TemporaryDirectory("og-tomcat-nodes")
        tomcat = try TomcatInstance(in: work.path, ownedBy: work, pki: pki)
        try tomcat.start()
    }

    func addEndpoint(_ extra: [String] = []) throws {
        try tomcat.addLocalEndpoint(to: fixture, extra)
    }

    /// How often Tomcat has logged the end of a start-up in catalina.out.
    func startups() -> Int { tomcat.catalinaOut.components(separatedBy: "Server startup in").count - 1 }
    /// `startups()` once the first `started` starts are logged: the fixture is ready when its
    /// ports answer, and Tomcat logs "Server startup in" a moment later.
    func startupsLogged(_ started: Int) -> Int {
        #expect(eventually(30) { startups() >= started }, "Tomcat logged \(startups()) of its \(started) starts")
        return startups()
    }

    var nodes: [String] { ["\(tomcat.pemPort)/a.example.test", "\(tomcat.pemPort)/b.example.test"] }

    func install(_ leaf: (certificate: String, key: String)) throws -> ProcessOutput {
        try fixture.run(["tls", "install", "tc", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain, "--verbose"]
                            + nodes.flatMap { ["--node", $0] })
    }

    @Test func bothHostConfigsOfOneConnectorComposeInServerXMLWithOneRestart() throws {
        try addEndpoint()
        let before = tomcat.snapshot()
        let pid = tomcat.processID
        let startsBefore = startupsLogged(1)
        let leaf = try pki.issue("ab-new", dnsNames: ["a.example.test", "b.example.test"])
        let installed = try install(leaf)
        #expect(installed.exitStatus == 0, "\(installed.standardErrorText)\n\(tomcat.catalinaOut.suffix(2000))")
        let new = try pki.fingerprint(leaf.certificate)
        #expect(try tomcat.servedFingerprint(port: tomcat.pemPort, serverName: "a.example.test") == new)
        #expect(try tomcat.servedFingerprint(port: tomcat.pemPort, serverName: "b.example.test") == new)
        #expect(try tomcat.servedFingerprint(port: tomcat.p12Port, serverName: "p12.example.test")
                == pki.fingerprint(pki.file("p12-old.pem")), "the other connector keeps its certificate")
        #expect(tomcat.processID != nil && tomcat.processID != pid, "a new JVM serves")
        // Both nodes' edits are in server.xml, and nothing else changed in it.
        let oldLines = String(decoding: before["server.xml"] ?? [], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let newLines = String(decoding: tomcat.snapshot()["server.xml"] ?? [], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(oldLines.count == newLines.count)
        for node in nodes {
            let certificate = tomcat.file("conf/og-host-\(node.replacingOccurrences(of: "/", with: "-")).crt.pem")
            #expect(newLines.contains { $0.contains("certificateFile=\"\(certificate)\"") }, "\(node) points at its new file")
            #expect(try pki.fingerprint(certificate) == new, "\(node)'s new file holds the leaf")
        }
        let changed = zip(oldLines, newLines).filter { $0 != $1 }
        #expect(changed.count == 4, "a: its one Certificate line; b: certificateFile, certificateKeyFile, the retired chain file: \(changed)")
        // One restart: the second node's activation replays the first's commands.
        let log = installed.standardErrorText.split(separator: "\n")
        let replayed = log.filter { $0.contains("not run again for this node") }
        #expect(!replayed.isEmpty, "the second node's restart was answered from the first's:\n\(installed.standardErrorText)")
        // The restart's line, too, may follow its listener by a moment; a second restart would have been logged by then.
        #expect(eventually(30) { startups() > startsBefore }, "the restart was never logged")
        #expect(startups() == startsBefore + 1, "Tomcat started once for both nodes (\(startups() - startsBefore))")
        let strays = tomcat.snapshot().keys.filter { $0.contains("og-backup") || $0.contains(".og-tmp") }
        #expect(strays.isEmpty, "\(strays)")
    }

    @Test func aRestartThatFailsRollsBothNodesBack() throws {
        // No such unit: the restart fails after both nodes were written.
        try addEndpoint(["--service_name", "og-host-no-such-tomcat"])
        let before = tomcat.snapshot()
        let failed = try install(try pki.issue("ab-refused", dnsNames: ["a.example.test", "b.example.test"]))
        #expect(failed.exitStatus == 6, "rolled back: \(failed.standardErrorText)")
        #expect(failed.standardErrorText.contains("every node of 'tc' was rolled back"), "\(failed.standardErrorText)")
        let after = tomcat.snapshot()
        #expect(after.keys.sorted() == before.keys.sorted(), "files added or removed: \(Set(after.keys).symmetricDifference(before.keys))")
        for (path, bytes) in before where after[path] != bytes { Issue.record("conf/\(path) is not back byte for byte") }
        #expect(tomcat.processID != nil)
        #expect(try tomcat.servedFingerprint(port: tomcat.pemPort, serverName: "a.example.test") == pki.fingerprint(pki.file("a-old.pem")))
        #expect(try tomcat.servedFingerprint(port: tomcat.pemPort, serverName: "b.example.test") == pki.fingerprint(pki.file("b-old.pem")))
    }

    /// Two connectors serving two aliases of ONE PKCS#12 store (shop on the
    /// fixture's connector, shop2 on one added here): both nodes write the
    /// same keystore, so the second is merged into the store the first wrote.
    /// keytool finds both aliases with the new certificate; one restart; both served.
    @Test func twoConnectorsOnTwoAliasesOfOneKeystoreCompose() throws {
        tomcat.stop()
        let loggedBefore = startups()  // the stopped JVM logs no more
        let port = Loopback.freePort()
        let serverXML = String(decoding: try LocalFiles.read(tomcat.serverXML), as: UTF8.self)
        let open = try #require(serverXML.range(of: "<Connector port=\"\(tomcat.p12Port)\""))
        let close = try #require(serverXML.range(of: "</Connector>", range: open.upperBound..<serverXML.endIndex))
        let connector = String(serverXML[open.lowerBound..<close.upperBound])
        let second = connector.replacingOccurrences(of: "port=\"\(tomcat.p12Port)\"", with: "port=\"\(port)\"")
            .replacingOccurrences(of: "p12.example.test", with: "p12b.example.test")
            .replacingOccurrences(of: "certificateKeyAlias=\"shop\"", with: "certificateKeyAlias=\"shop2\"")
        try LocalFiles.writeAtomically(tomcat.serverXML, contents: Array(serverXML.replacingOccurrences(of: connector, with: connector + "\n    " + second).utf8))
        let environment = EnvironmentVariable.all().merging(["STORE_PASS": tomcat.password]) { $1 }
        let shop2 = try pki.issue("p12b-old", dnsNames: ["p12b.example.test"])
        let exported = try ProcessRunner.run("openssl", ["pkcs12", "-export", "-in", shop2.certificate, "-inkey", shop2.key,
                                                         "-name", "shop2", "-out", work.file("shop2.p12"), "-passout", "env:STORE_PASS"],
                                             environment: environment)
        try #require(exported.exitStatus == 0, "\(exported.standardErrorText)")
        let imported = try ProcessRunner.run("keytool", ["-importkeystore", "-noprompt", "-srckeystore", work.file("shop2.p12"),
                                                         "-srcstoretype", "PKCS12", "-srcstorepass:env", "STORE_PASS",
                                                         "-destkeystore", tomcat.file("conf/tls/store.p12"), "-deststoretype", "PKCS12",
                                                         "-deststorepass:env", "STORE_PASS"], environment: environment)
        try #require(imported.exitStatus == 0, "\(imported.standardErrorText)\(imported.standardOutputText)")
        try tomcat.start()
        try #require(Loopback.waitForListener(port: port, timeout: 120), "\(tomcat.catalinaOut.suffix(2000))")
        try addEndpoint()
        let startsBefore = startupsLogged(loggedBefore + 1)
        let leaf = try pki.issue("p12-both", dnsNames: ["p12.example.test", "p12b.example.test"])
        let installed = try fixture.run(["tls", "install", "tc", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain,
                                         "--verbose", "--node", "\(tomcat.p12Port)/p12.example.test", "--node", "\(port)/p12b.example.test"])
        #expect(installed.exitStatus == 0, "\(installed.standardErrorText)\n\(tomcat.catalinaOut.suffix(2000))")
        let new = try pki.fingerprint(leaf.certificate)
        #expect(try tomcat.servedFingerprint(port: tomcat.p12Port, serverName: "p12.example.test") == new)
        #expect(try tomcat.servedFingerprint(port: port, serverName: "p12b.example.test") == new)
        for alias in ["shop", "shop2"] {
            let exportedAlias = try ProcessRunner.run("keytool", ["-exportcert", "-rfc", "-alias", alias, "-keystore", tomcat.file("conf/tls/store.p12"),
                                                                  "-storetype", "PKCS12", "-storepass:env", "STORE_PASS"], environment: environment)
            try #require(exportedAlias.exitStatus == 0, "\(alias): \(exportedAlias.standardErrorText)")
            try LocalFiles.writeAtomically(work.file("\(alias)-now.pem"), contents: exportedAlias.standardOutput)
            #expect(try pki.fingerprint(work.file("\(alias)-now.pem")) == new, "entry \(alias) holds the new certificate")
        }
        // The restart's line, too, may follow its listener by a moment; a second restart would have been logged by then.
        #expect(eventually(30) { startups() > startsBefore }, "the restart was never logged")
        #expect(startups() == startsBefore + 1, "Tomcat started once for both nodes (\(startups() - startsBefore))")
    }
}
