import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `--reload_method jmx` against a real Debian tomcat10 with the
/// tomcat10-admin manager webapp deployed in its private CATALINA_BASE: the
/// certificate reaches the connector through reloadSslHostConfigs while the
/// same JVM keeps running, and a refused reload rolls the install back. One
/// instance serves both cases, since starting a JVM is the slow part.
@Suite(.serialized) struct TomcatJMXReloadTests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let work: TemporaryDirectory
    let tomcat: TomcatInstance
    let managerUser = "og-jmx"
    let managerPassword = "jmx-\(UInt32.random(in: 100_000...999_999))"

    init() throws {
        fixture = try GatewayFixture(plugins: ["tomcat"])
        pki = try TestPKI()
        work = try TemporaryDirectory("og-tomcat-jmx")
        tomcat = try TomcatInstance(in: work.path, ownedBy: work, pki: pki)
        try tomcat.deployManager(user: managerUser, password: managerPassword)
        try tomcat.start()
        try #require(ProcessRunner.findExecutable("curl", environment: nil) != nil,
                     "curl is missing: install the Debian package curl")
    }

    func runAdd(_ name: String, managerPassword: String) throws -> ProcessOutput {
        try fixture.run(["tls", "add", "tomcat", "--name", name, "--connection_type", "local"]
            + tomcat.addOptions
            + ["--reload_method", "jmx", "--manager_url", tomcat.managerURL, "--manager_user", managerUser,
               "--manager_password", "env:MANAGER_PASS"],
            extraEnvironment: tomcat.addEnvironment.merging(["MANAGER_PASS": managerPassword]) { $1 })
    }

    func install(_ endpoint: String, _ leaf: (certificate: String, key: String)) throws -> ProcessOutput {
        try fixture.run(["tls", "install", endpoint, "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain])
    }

    @Test func jmxReloadServesTheNewCertificateWithoutRestartingAndRollsBackWhenRefused() throws {
        let pid = try #require(tomcat.processID, "Tomcat runs: \(tomcat.catalinaOut.suffix(2000))")

        // A wrong manager password gets HTTP 401 from the manager: refused at add time, naming the option; nothing stored.
        let wrongPassword = "not-\(managerPassword)"
        let refusedAdd = try runAdd("tc-wrong", managerPassword: wrongPassword)
        #expect(refusedAdd.exitStatus == 5, "\(refusedAdd.standardOutputText)\(refusedAdd.standardErrorText)")
        #expect(refusedAdd.standardErrorText.contains("--manager_password") && refusedAdd.standardErrorText.contains("401"),
                "\(refusedAdd.standardErrorText)")
        #expect(!(refusedAdd.standardOutputText + refusedAdd.standardErrorText).contains(wrongPassword), "no secret in the report")
        #expect(!(try fixture.run(["tls", "list"]).standardOutputText.contains("tc-wrong")))

        // The right password: served after activation by the same JVM.
        let added = try runAdd("tc", managerPassword: managerPassword)
        try #require(added.exitStatus == 0, "tls add: \(added.standardErrorText)")
        let shop = try pki.issue("p12-new", dnsNames: ["p12.example.test"])
        let installed = try install("tc", shop)
        #expect(installed.exitStatus == 0, "\(installed.standardErrorText)")
        #expect(!(installed.standardOutputText + installed.standardErrorText).contains(managerPassword))
        #expect(try tomcat.servedFingerprint(port: tomcat.p12Port, serverName: "p12.example.test")
                == pki.fingerprint(shop.certificate))
        #expect(tomcat.processID == pid, "the same Tomcat JVM serves it: no restart")
        #expect(try tomcat.servedFingerprint(port: tomcat.jksPort) == pki.fingerprint(pki.file("jks-old.pem")),
                "other connectors keep their certificates")

        // A PEM connector under jmx: refused before anything changes, with the reason and the fix.
        let unchanged = tomcat.snapshot()
        let pem = try install("tc", try pki.issue("pem-jmx", dnsNames: ["a.example.test"]))
        #expect(pem.exitStatus == 2, "\(pem.standardOutputText)\(pem.standardErrorText)")
        #expect(pem.standardErrorText.contains("--reload_method restart"), "\(pem.standardErrorText)")
        #expect(tomcat.snapshot() == unchanged, "nothing under conf/ changed")

        // The manager's password is changed on the Tomcat side after the add (a restart reads it): the
        // reload with the stored one is refused, the install rolls back, the previous certificate stays.
        let rotated = "rotated-\(UInt32.random(in: 100_000...999_999))"
        tomcat.stop()
        try tomcat.deployManager(user: managerUser, password: rotated)
        try tomcat.start()
        // The restarted JVM serves what the last install put there (its first handshake also warms it up).
        #expect(try tomcat.servedFingerprint(port: tomcat.p12Port, serverName: "p12.example.test") == pki.fingerprint(shop.certificate))
        let before = tomcat.snapshot()
        let refused = try install("tc", try pki.issue("p12-refused", dnsNames: ["p12.example.test"]))
        let report = refused.standardOutputText + refused.standardErrorText
        #expect(refused.exitStatus != 0, "\(report)")
        #expect(report.contains("manager_password"), "\(report)")
        #expect(report.contains("rolled back"), "\(report)")
        #expect(report.contains("serves the previous certificate again"), "\(report)")
        // The rollback's own reload is refused the same way: said once, never claimed as done.
        #expect(report.contains("re-activating the restored files failed too") && !report.contains("re-activated the restored"),
                "\(report)")
        #expect(!report.contains(managerPassword) && !report.contains(rotated), "no secret in the report")
        #expect(tomcat.snapshot() == before, "every file under conf/ restored")
        #expect(try tomcat.servedFingerprint(port: tomcat.p12Port, serverName: "p12.example.test") == pki.fingerprint(shop.certificate))
    }
}
