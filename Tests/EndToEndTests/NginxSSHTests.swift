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

    /// A fleet's usual shape: nginx and its files belong to root, the SSH login
    /// does not, and sudo is configured. Discovery, the writes (keeping the
    /// configuration's owner and mode), the backups, nginx -t and the reload
    /// all go through sudo; without --sudo the same install is refused and
    /// nothing on the endpoint changes.
    @Test func nonRootLoginInstallsOnRootOwnedNginxThroughSudo() throws {
        try SSHTestUser.grantPasswordlessSudo()
        let sshd = try SSHServerFixture.start()
        let fixture = try GatewayFixture(plugins: ["nginx"])
        let pki = try TestPKI()
        let nginx = try NginxTestInstance(pki: pki)
        try nginx.start()
        let before = try nginx.configurationSnapshot()
        let login = ["--connection_type", "ssh", "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                     "--ssh_key_path", sshd.clientKeyPath, "--host_key_fingerprint", sshd.hostKeyFingerprint]
        let leaf = try pki.issue("beta-sudo", dnsNames: ["beta.example.test"])

        // Without sudo the login cannot write root's files: refused at add, naming them and the fix.
        let plain = try fixture.run(["tls", "add", "nginx", "--name", "plain"] + login + nginx.instanceOptions())
        #expect(plain.exitStatus == 2, "\(plain.standardErrorText)")
        #expect(plain.standardErrorText.contains("--sudo")
                && plain.standardErrorText.contains(nginx.directory.file("sites-available/sites").replacingOccurrences(of: "//", with: "/")),
                "\(plain.standardErrorText)")
        #expect(try nginx.configurationSnapshot() == before, "a refused add changes nothing")

        let added = try fixture.run(["tls", "add", "nginx", "--name", "fleet", "--sudo", "nopasswd"] + login
                                    + nginx.instanceOptions())
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        let nodes = try fixture.run(["tls", "nodes", "fleet", "--output", "json"])
        #expect(nodes.standardOutputText.contains("beta.example.test:\(nginx.tlsPort)"), "\(nodes.standardErrorText)")

        var info = stat()
        try #require(lstat(nginx.configFile, &info) == 0)
        let configMode = info.st_mode & 0o7777
        let install = try fixture.run(["tls", "install", "fleet", "--cert", leaf.certificate, "--key", leaf.key,
                                       "--chain", pki.chain])
        #expect(install.exitStatus == 0, "\(install.standardErrorText)\(install.standardOutputText)")
        #expect(try nginx.servedFingerprint("beta.example.test") == (try pki.fingerprint(leaf.certificate)))
        let key = nginx.directory.file("og-beta.example.test_\(nginx.tlsPort).key")
        #expect(lstat(key, &info) == 0 && info.st_uid == 0 && info.st_mode & 0o7777 == 0o600, "the new key is root's, 0600")
        for (relative, _) in before {
            let path = nginx.directory.file(relative)
            #expect(lstat(path, &info) == 0 && info.st_uid == 0, "\(relative) still belongs to root")
        }
        #expect(lstat(nginx.configFile, &info) == 0 && info.st_mode & 0o7777 == configMode)
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: nginx.path)
            .filter { $0.contains(".og-backup-") || $0.contains(".og-tmp-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    /// A login that cannot read a configured certificate file does not know
    /// what is configured: tls nodes says unknown (JSON mismatch null), never "same".
    @Test func unreadableConfiguredCertificateReadsAsUnknown() throws {
        let sshd = try SSHServerFixture.start()
        let fixture = try GatewayFixture(plugins: ["nginx"])
        let pki = try TestPKI()
        // The login may change the configuration (so it can be added without sudo) but not read beta's root-only certificate.
        let account = try SSHTestUser.ensure()
        let nginx = try NginxTestInstance(pki: pki, owner: (account.uid, account.gid))
        try nginx.start()
        chown(nginx.directory.file("ssl/beta.pem"), 0, 0)
        chmod(nginx.directory.file("ssl/beta.pem"), 0o600)
        let added = try fixture.run(["tls", "add", "nginx", "--name", "plain", "--connection_type", "ssh",
                                     "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                                     "--ssh_key_path", sshd.clientKeyPath] + nginx.instanceOptions())
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        let json = try fixture.run(["tls", "nodes", "plain", "--output", "json"])
        try #require(json.exitStatus == 0, "\(json.standardErrorText)")
        let nodes = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput)) as? [[String: Any]])
        let beta = try #require(nodes.first { ($0["id"] as? String)?.hasPrefix("beta.") == true })
        let alpha = try #require(nodes.first { ($0["id"] as? String)?.hasPrefix("alpha.") == true })
        #expect(beta["mismatch"] is NSNull, "\(json.standardOutputText)")
        #expect(beta["served"] != nil)
        #expect(alpha["mismatch"] as? Bool == false)
        let table = try fixture.run(["tls", "nodes", "plain"])
        #expect(table.standardOutputText.contains("unknown"), "\(table.standardOutputText)")
    }

    /// A site file the login cannot read (root's, 0600, in sites-enabled/): discovery lists the
    /// servers it can read, says which file it skipped and why (table and log), and exits 0;
    /// an install stays refused, since the plugin cannot be sure what it would edit. With sudo
    /// the same configuration is read whole.
    @Test func unreadableSiteFileIsSkippedByDiscoveryAndNamedWhileInstallsStayRefused() throws {
        try SSHTestUser.grantPasswordlessSudo()
        let sshd = try SSHServerFixture.start()
        let fixture = try GatewayFixture(plugins: ["nginx"])
        let pki = try TestPKI()
        // The login owns the configuration, except one site file that is root's alone.
        let account = try SSHTestUser.ensure()
        let nginx = try NginxTestInstance(pki: pki, owner: (account.uid, account.gid))
        let hiddenFile = nginx.directory.file("sites-enabled/private")
        // As the plugin names it (the temporary directory's path may hold "//").
        let hidden = hiddenFile.replacingOccurrences(of: "//", with: "/")
        try LocalFiles.writeAtomically(hiddenFile, contents: Array("""
            server {
                listen 127.0.0.1:\(nginx.tlsPort2) ssl;
                server_name gamma.example.test;
                ssl_certificate \(nginx.directory.file("ssl/alpha.pem"));
                ssl_certificate_key \(nginx.directory.file("ssl/alpha.key"));
            }

            """.utf8), mode: 0o600)
        try nginx.start()
        let before = try nginx.configurationSnapshot()
        let login = ["--connection_type", "ssh", "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                     "--ssh_key_path", sshd.clientKeyPath, "--host_key_fingerprint", sshd.hostKeyFingerprint]

        let added = try fixture.run(["tls", "add", "nginx", "--name", "plain"] + login + nginx.instanceOptions())
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        #expect(added.standardErrorText.contains(hidden), "the add warns: \(added.standardErrorText)")

        let table = try fixture.run(["tls", "nodes", "plain"])
        #expect(table.exitStatus == 0, "\(table.standardErrorText)")
        #expect(table.standardOutputText.contains("alpha.example.test") && table.standardOutputText.contains("beta.example.test"))
        #expect(!table.standardOutputText.contains("gamma.example.test"))
        #expect(table.standardOutputText.contains("WARNING: discovery incomplete: \(hidden) could not be read (the account cannot read it: mode 600, owner uid 0"),
                "\(table.standardOutputText)")
        let json = try fixture.run(["tls", "nodes", "plain", "--output", "json"])
        let nodes = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput)) as? [[String: Any]],
                                 "\(json.standardOutputText)")
        #expect(Set(nodes.compactMap { ($0["name"] as? String) }) == ["alpha.example.test", "beta.example.test"])
        #expect(json.standardErrorText.contains(hidden), "the JSON run logs the warning: \(json.standardErrorText)")

        let leaf = try pki.issue("beta-partial", dnsNames: ["beta.example.test"])
        let refused = try fixture.run(["tls", "install", "plain", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain])
        #expect(refused.exitStatus != 0, "\(refused.standardOutputText)")
        #expect(refused.standardErrorText.contains(hidden), "the refusal names the file: \(refused.standardErrorText)")
        #expect(try nginx.configurationSnapshot() == before, "a refused install changes nothing")

        let whole = try fixture.run(["tls", "add", "nginx", "--name", "fleet", "--sudo", "nopasswd"] + login + nginx.instanceOptions())
        try #require(whole.exitStatus == 0, "\(whole.standardErrorText)")
        let all = try fixture.run(["tls", "nodes", "fleet"])
        #expect(all.standardOutputText.contains("gamma.example.test") && !all.standardOutputText.contains("WARNING"),
                "\(all.standardOutputText)")
    }
}
