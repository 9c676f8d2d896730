import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The tomcat plugin over a real sshd: the test account owns the private
/// CATALINA_BASE and runs Tomcat, as a remote operator account would, and
/// og-host restarts it through catalina.sh over the SSH connection.
@Suite struct TomcatSSHTests {
    @Test func installOverSSHIsServedAfterTheRemoteRestart() throws {
        let sshd = try SSHServerFixture.start()
        let fixture = try GatewayFixture(plugins: ["tomcat"])
        let pki = try TestPKI()
        let base = "\(sshd.workDirectory)/tomcat"
        try LocalFiles.makeDirectory(base)
        let tomcat = try TomcatInstance(in: base, ownedBy: sshd, pki: pki, owner: try SSHTestUser.ensure())
        try tomcat.start()
        defer { tomcat.stop() }

        let added = try fixture.run(["tls", "add", "tomcat", "--name", "remote", "--connection_type", "ssh",
                                     "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                                     "--ssh_key_path", sshd.clientKeyPath] + tomcat.addOptions,
                                    extraEnvironment: tomcat.addEnvironment)
        try #require(added.exitStatus == 0, "tls add: \(added.standardErrorText)")
        let nodes = try fixture.run(["tls", "nodes", "remote"])
        #expect(nodes.exitStatus == 0, "\(nodes.standardErrorText)")
        #expect(nodes.standardOutputText.contains("\(tomcat.pemPort)/b.example.test"))

        let leaf = try pki.issue("b-new", dnsNames: ["b.example.test"])
        let installed = try fixture.run(["tls", "install", "remote", "--cert", leaf.certificate, "--key", leaf.key,
                                         "--chain", pki.chain])
        #expect(installed.exitStatus == 0, "\(installed.standardErrorText)\n\(tomcat.catalinaOut.suffix(2000))")
        #expect(try tomcat.servedFingerprint(port: tomcat.pemPort, serverName: "b.example.test") == pki.fingerprint(leaf.certificate))
        #expect(try tomcat.servedFingerprint(port: tomcat.p12Port, serverName: "p12.example.test")
                == pki.fingerprint(pki.file("p12-old.pem")))
    }
}
