import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The keystore plugin's checks made through a real sshd: `tls add` opens the
/// remote keystore with the store password held by the host, checks remote
/// scripts as the SSH user sees them, and discovery reads the remote file.
@Suite struct KeystoreSSHTests {
    @Test func remoteKeystoreIsValidatedAndDiscoveredOverSSH() throws {
        let sshd = try SSHServerFixture.start()
        let fixture = try GatewayFixture(plugins: ["keystore"])
        let files = try KeystoreTestFiles()
        let owner = try FileManager.default.attributesOfItem(atPath: sshd.workDirectory)
        let uid = uid_t(owner[.ownerAccountID] as? Int ?? 0), gid = gid_t(owner[.groupOwnerAccountID] as? Int ?? 0)
        func remoteCopy(_ local: String, _ name: String, mode: mode_t = 0o600) throws -> String {
            let path = "\(sshd.workDirectory)/\(name)"
            try LocalFiles.writeAtomically(path, contents: try files.bytes(local), mode: mode)
            chmod(path, mode)
            chown(path, uid, gid)
            return path
        }
        let store = try remoteCopy(try files.p12("local.p12", alias: "web"), "remote.p12")
        let plainScript = try remoteCopy(try files.script("plain.sh", "exit 0", mode: 0o644), "plain.sh", mode: 0o644)
        let login = ["--connection_type", "ssh", "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                     "--ssh_key_path", sshd.clientKeyPath]
        func add(_ name: String, _ options: [String], password: String) throws -> ProcessOutput {
            try fixture.run(["tls", "add", "p12", "--name", name] + login + ["--path", store, "--store_password", "env:STORE_PASS"] + options,
                            extraEnvironment: ["STORE_PASS": password])
        }

        let wrong = try add("wrong", [], password: "not-\(files.password)")
        #expect(wrong.exitStatus != 0)
        #expect(wrong.standardErrorText.contains("--store_password: does not open \(store)"), "\(wrong.standardErrorText)")

        let notExecutable = try add("script", ["--install_script", plainScript], password: files.password)
        #expect(notExecutable.exitStatus != 0)
        #expect(notExecutable.standardErrorText.contains("--install_script: \(plainScript) is not executable (mode 0644)"),
                "\(notExecutable.standardErrorText)")

        let listed = try fixture.run(["tls", "list", "--output", "json"])
        #expect(!listed.standardOutputText.contains("\"name\""), "refused adds recorded nothing: \(listed.standardOutputText)")

        let good = try add("remote", [], password: files.password)
        try #require(good.exitStatus == 0, "\(good.standardErrorText)")
        let nodes = try fixture.run(["tls", "nodes", "remote", "--output", "json"])
        #expect(nodes.exitStatus == 0, "\(nodes.standardErrorText)")
        #expect(nodes.standardOutputText.contains("\"id\" : \"web\""), "\(nodes.standardOutputText)")
        #expect(nodes.standardOutputText.contains("key entry, chain 2"), "the leaf and the intermediate")
    }

    /// A store the login can read but not replace (root's, in root's directory): refused at add
    /// with the path and the fix; accepted with sudo, which installs would write through.
    @Test func storeTheLoginCannotWriteIsRefusedAtAddUnlessSudoWrites() throws {
        try SSHTestUser.grantPasswordlessSudo()
        let sshd = try SSHServerFixture.start()
        let fixture = try GatewayFixture(plugins: ["keystore"])
        let files = try KeystoreTestFiles()
        let rootOnly = try TemporaryDirectory("og-root-store")
        chmod(rootOnly.path, 0o755)
        let store = rootOnly.file("root.p12")
        try LocalFiles.writeAtomically(store, contents: try files.bytes(try files.p12("local.p12", alias: "web")), mode: 0o644)
        chmod(store, 0o644)
        let login = ["--connection_type", "ssh", "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                     "--ssh_key_path", sshd.clientKeyPath, "--path", store, "--store_password", "env:STORE_PASS"]
        let refused = try fixture.run(["tls", "add", "p12", "--name", "plain"] + login,
                                      extraEnvironment: ["STORE_PASS": files.password])
        #expect(refused.exitStatus == 2, "\(refused.standardErrorText)")
        #expect(refused.standardErrorText.contains("--sudo") && refused.standardErrorText.contains(store),
                "\(refused.standardErrorText)")
        let listed = try fixture.run(["tls", "list", "--output", "json"])
        #expect(!listed.standardOutputText.contains("\"name\""), "a refused add records nothing: \(listed.standardOutputText)")
        let withSudo = try fixture.run(["tls", "add", "p12", "--name", "fleet", "--sudo", "nopasswd"] + login,
                                       extraEnvironment: ["STORE_PASS": files.password])
        #expect(withSudo.exitStatus == 0, "\(withSudo.standardErrorText)")
    }
}
