import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Endpoints reached over a real sshd: the add path connects, authenticates,
/// pins the host key, and keeps every secret out of disk, output and audit.
@Suite struct SSHEndpointTests {
    @Test func passwordFromStandardInputLogsInAndIsNeverStoredInPlaintext() throws {
        let sshd = try SSHServerFixture.start()
        let fixture = try GatewayFixture(plugins: ["hello-c"])
        let result = try fixture.run(["tls", "add", "pem_dir", "--name", "remote1", "--connection_type", "ssh",
                                      "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                                      "--password", "-", "--cert_dir", sshd.workDirectory],
                                     standardInput: Array("\(sshd.password)\n".utf8))
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
        #expect(result.standardOutputText.contains("Instance ID: "))

        let shown = try fixture.run(["tls", "show", "remote1", "--output", "json"])
        let audit = try fixture.run(["audit"])
        var everything = [result.standardOutputText, result.standardErrorText, shown.standardOutputText,
                          shown.standardErrorText, audit.standardOutputText]
        for (_, bytes) in fixture.dataDirectoryContents() { everything.append(String(decoding: bytes, as: UTF8.self)) }
        for text in everything { #expect(!text.contains(sshd.password), "the password leaked") }
        #expect(shown.standardOutputText.contains("\"credential\" : \"default:ep:"))

        // The host key was pinned on first use: a server with a new key is refused.
        try sshd.rotateHostKey()
        let second = try fixture.run(["tls", "add", "pem_dir", "--name", "remote2", "--connection_type", "ssh",
                                      "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                                      "--password", "env:OG_TEST_PASSWORD", "--cert_dir", sshd.workDirectory],
                                     extraEnvironment: ["OG_TEST_PASSWORD": sshd.password])
        #expect(second.exitStatus != 0)
        #expect(second.standardErrorText.contains(sshd.hostKeyFingerprint), "\(second.standardErrorText)")
        #expect(!second.standardErrorText.contains(sshd.password))
        // The refusal is audited.
        let refusals = try fixture.run(["audit"]).standardOutputText
        #expect(refusals.contains("remote2") && refusals.contains(sshd.hostKeyFingerprint), "\(refusals)")
        #expect(!refusals.contains(sshd.password))

        // Removing the only endpoint of that host and port removes its pin: adding it again pins the new key.
        #expect(try fixture.run(["tls", "remove", "remote1"]).exitStatus == 0)
        let again = try fixture.run(["tls", "add", "pem_dir", "--name", "remote3", "--connection_type", "ssh",
                                     "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                                     "--password", "env:OG_TEST_PASSWORD", "--cert_dir", sshd.workDirectory],
                                    extraEnvironment: ["OG_TEST_PASSWORD": sshd.password])
        #expect(again.exitStatus == 0, "the old pin survived tls remove: \(again.standardErrorText)")
    }

    /// A legacy device that speaks only SHA-1 key exchange: refused by
    /// default with the option that fixes it; enabled by naming exactly that
    /// algorithm, which is kept with the endpoint for later jobs.
    @Test func legacyAlgorithmsAreAnExplicitPerEndpointOptIn() throws {
        let sshd = try SSHServerFixture.start(.init(extraConfiguration: ["KexAlgorithms diffie-hellman-group14-sha1"]))
        let fixture = try GatewayFixture(plugins: ["hello-c"])
        let login = ["--connection_type", "ssh", "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                     "--ssh_key_path", sshd.clientKeyPath, "--cert_dir", sshd.workDirectory]
        let modern = try fixture.run(["tls", "add", "pem_dir", "--name", "old"] + login)
        #expect(modern.exitStatus != 0)
        #expect(modern.standardErrorText.contains("--ssh_legacy_algorithms"), "\(modern.standardErrorText)")
        let bogus = try fixture.run(["tls", "add", "pem_dir", "--name", "old", "--ssh_legacy_algorithms", "rc4"] + login)
        #expect(bogus.exitStatus == 2)
        #expect(bogus.standardErrorText.contains("ssh_legacy_algorithms") && bogus.standardErrorText.contains("'rc4'"),
                "\(bogus.standardErrorText)")
        let legacy = try fixture.run(["tls", "add", "pem_dir", "--name", "old",
                                      "--ssh_legacy_algorithms", "diffie-hellman-group14-sha1"] + login)
        #expect(legacy.exitStatus == 0, "\(legacy.standardErrorText)")
        let shown = try fixture.run(["tls", "show", "old", "--output", "json"])
        #expect(shown.standardOutputText.contains("diffie-hellman-group14-sha1"), "\(shown.standardOutputText)")
        let nodes = try fixture.run(["tls", "nodes", "old"])
        #expect(nodes.exitStatus == 0, "a later job reconnects with the stored opt-in: \(nodes.standardErrorText)")
    }

    @Test func wrongPasswordIsAnAuthenticationErrorAndNothingIsAdded() throws {
        let sshd = try SSHServerFixture.start()
        let fixture = try GatewayFixture(plugins: ["hello-c"])
        let result = try fixture.run(["tls", "add", "pem_dir", "--name", "remote1", "--connection_type", "ssh",
                                      "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                                      "--password", "env:WRONG", "--cert_dir", sshd.workDirectory],
                                     extraEnvironment: ["WRONG": "not-the-password"])
        #expect(result.exitStatus == 5, "authentication refused")
        #expect(result.standardErrorText.lowercased().contains("authentication"), "\(result.standardErrorText)")
        let listed = try fixture.run(["tls", "list", "--output", "json"])
        #expect(listed.standardOutputText.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]" ||
                listed.standardOutputText.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
    }

    @Test func keyLoginWorksAndTheKeyPathIsKeptAsAReference() throws {
        let sshd = try SSHServerFixture.start()
        let fixture = try GatewayFixture(plugins: ["hello-c"])
        let result = try fixture.run(["tls", "add", "pem_dir", "--name", "keyed", "--connection_type", "ssh",
                                      "--host", sshd.host, "--port", String(sshd.port), "--user", sshd.user,
                                      "--ssh_key_path", sshd.clientKeyPath, "--cert_dir", sshd.workDirectory])
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
    }
}
