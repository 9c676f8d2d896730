import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The apache plugin over a real sshd: the test account owns the private
/// httpd directory and runs httpd, as a remote operator account would.
@Suite struct ApacheSSHTests {
    @Test func installOverSSHServesTheNewCertificate() throws {
        let sshd = try SSHServerFixture.start()
        let fixture = try GatewayFixture(plugins: ["apache"])
        let pki = try TestPKI()
        let root = "\(sshd.workDirectory)/apache"
        try LocalFiles.makeDirectory(root)
        let apache = try ApacheInstance(in: root, ownedBy: sshd, pki: pki, owner: try SSHTestUser.ensure())
        try apache.start()

        let added = try fixture.run(["tls", "add", "apache", "--name", "remote", "--connection_type", "ssh",
                                     "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                                     "--ssh_key_path", sshd.clientKeyPath] + apache.addOptions())
        try #require(added.exitStatus == 0, "tls add: \(added.standardErrorText)")
        let nodes = try fixture.run(["tls", "nodes", "remote"])
        #expect(nodes.exitStatus == 0, "\(nodes.standardErrorText)")
        #expect(nodes.standardOutputText.contains(apache.blogID))

        let leaf = try pki.issue("blog-new", dnsNames: ["blog.example.test"])
        let installed = try fixture.run(["tls", "install", "remote", "--cert", leaf.certificate, "--key", leaf.key,
                                         "--chain", pki.chain])
        #expect(installed.exitStatus == 0, "\(installed.standardErrorText)\n\(apache.errorLog)")
        #expect(try apache.servedFingerprint("blog.example.test") == pki.fingerprint(leaf.certificate))
        #expect(try apache.servedFingerprint("shop.example.test") == pki.fingerprint(apache.originalShopCertificate))
        apache.stop()
    }
}
