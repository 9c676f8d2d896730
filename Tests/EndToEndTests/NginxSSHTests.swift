import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The nginx plugin over a real sshd: nginx runs as the SSH test user, so the
/// configuration test, the key check and the reload all happen as that user
/// through the SSH connection.
@Suite struct NginxSSHTests {
    @Test func installOverSSHIsServedByTheRemoteNginx() throws {
        let sshd = try SSHServerFixture.start()
        let account = try SSHTestUser.ensure()
        let fixture = try GatewayFixture(plugins: ["nginx"])
        let pki = try TestPKI()
        let nginx = try NginxTestInstance(pki: pki, owner: (account.uid, account.gid))
        try nginx.start(asUser: (account.uid, account.gid))
        let added = try fixture.run(["tls", "add", "nginx", "--name", "remote", "--connection_type", "ssh",
                                     "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                                     "--ssh_key_path", sshd.clientKeyPath] + nginx.instanceOptions())
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        let nodes = try fixture.run(["tls", "nodes", "remote", "--output", "json"])
        #expect(nodes.exitStatus == 0, "\(nodes.standardErrorText)")
        #expect(nodes.standardOutputText.contains("beta.example.test:\(nginx.tlsPort)"))

        let leaf = try pki.issue("beta-ssh", dnsNames: ["beta.example.test"])
        let install = try fixture.run(["tls", "install", "remote", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain])
        #expect(install.exitStatus == 0, "\(install.standardErrorText)\(install.standardOutputText)")
        #expect(try nginx.servedFingerprint("beta.example.test") == (try pki.fingerprint(leaf.certificate)))
        let key = nginx.directory.file("og-beta.example.test_\(nginx.tlsPort).key")
        let attributes = try FileManager.default.attributesOfItem(atPath: key)
        #expect(attributes[.ownerAccountID] as? Int == Int(account.uid), "written by the SSH user")
        #expect(attributes[.posixPermissions] as? Int == 0o600)
    }
}
