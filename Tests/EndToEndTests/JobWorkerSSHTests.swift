import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `cert deploy` to PEM endpoints on one real sshd, reached with the same
/// login: the deploy's job workers keep their SSH connection from one job to
/// the next (`SSHConnectionPool`, enabled in `og-host job worker`), so one
/// worker logs in once for all its jobs. Counted in sshd's own log.
@Suite struct JobWorkerSSHTests {
    @Test func aWorkersJobsOnOneSSHLoginShareOneConnection() throws {
        let fixture = try GatewayFixture(plugins: ["keystore"])
        let files = try KeystoreTestFiles()
        let sshd = try SSHServerFixture.start()
        let anchor = try fixture.run(["ca", "add", files.pki.file("root.pem"), "--name", "worker-ssh-root"])
        try #require(anchor.exitStatus == 0, "\(anchor.standardErrorText)")
        let owner = try FileManager.default.attributesOfItem(atPath: sshd.workDirectory)
        let names = ["pem1", "pem2", "pem3"]
        for name in names {
            let path = "\(sshd.workDirectory)/\(name).pem"
            try LocalFiles.writeAtomically(path, contents: [], mode: 0o644)
            chown(path, uid_t(owner[.ownerAccountID] as? Int ?? 0), gid_t(owner[.groupOwnerAccountID] as? Int ?? 0))
            let added = try fixture.run(["tls", "add", "pem", "--name", name, "--connection_type", "ssh", "--host", sshd.host,
                                         "--port", String(sshd.port), "--user", sshd.user, "--ssh_key_path", sshd.clientKeyPath,
                                         "--path", path, "--key_path", "\(sshd.workDirectory)/\(name).key"])
            try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        }
        let leaf = try files.pki.issue("worker-ssh", dnsNames: ["beta.example.test"])
        let imported = try fixture.run(["cert", "import", "--cert", leaf.certificate, "--key", leaf.key, "--chain", files.pki.chain,
                                        "--name", "site"])
        try #require(imported.exitStatus == 0, "\(imported.standardErrorText)")
        for name in names {
            let bound = try fixture.run(["cert", "bind", "site", "--endpoint", name])
            try #require(bound.exitStatus == 0, "\(bound.standardErrorText)")
        }
        func logins() throws -> Int {
            String(decoding: try LocalFiles.read(sshd.logPath, limit: .document), as: UTF8.self)
                .components(separatedBy: "Accepted publickey for").count - 1
        }

        let before = try logins()
        let deployed = try fixture.run(["cert", "deploy", "site", "--parallel", "1"])
        #expect(deployed.exitStatus == 0, "\(deployed.standardErrorText)\(deployed.standardOutputText)")
        #expect(deployed.standardOutputText.contains("3 of 3 endpoints succeeded"), "\(deployed.standardOutputText)")
        // One worker ran the three jobs, over one SSH login.
        let during = try logins() - before
        #expect(during == 1, "logins during the deploy: \(during)")
        let certificate = String(decoding: try LocalFiles.read(leaf.certificate), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        for name in names {
            #expect(String(decoding: try LocalFiles.read("\(sshd.workDirectory)/\(name).pem"), as: UTF8.self).contains(certificate))
        }
    }
}
