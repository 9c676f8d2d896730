import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Endpoints on a real sshd whose login comes from a credential store at
/// connection time: HashiCorp Vault, CyberArk CCP (with a client certificate)
/// and a named local store; nothing of it lands on disk, in output or in logs.
@Suite struct CredstoreSSHTests {
    @Test func endpointsLogInWithCredentialsFromEveryStoreKindAndNoSecretLeaks() throws {
        let sshd = try SSHServerFixture.start()
        let fixture = try GatewayFixture(plugins: ["hello-c"])
        var outputs: [ProcessOutput] = []
        func run(_ arguments: [String], stdin: String = "", environment: [String: String] = [:]) throws -> ProcessOutput {
            let output = try fixture.run(arguments, standardInput: Array(stdin.utf8), extraEnvironment: environment)
            outputs.append(output)
            return output
        }
        func addEndpoint(_ name: String, store: String, id: String) throws -> ProcessOutput {
            try run(["tls", "add", "pem_dir", "--name", name, "--connection_type", "ssh", "--host", sshd.host, "--port", String(sshd.port),
                     "--store", store, "--store_cred_id", id, "--cert_dir", sshd.workDirectory])
        }
        let login = ["username": sshd.user, "password": sshd.password]

        // HashiCorp Vault, AppRole.
        let vault = try CredstoreServer.vault(secrets: ["secret/og/ssh": login, "secret/og/wrong": ["username": sshd.user, "password": "nope"]])
        let vaultStore = try run(["credstore", "add", "hashicorp", "--storename", "vault1", "--vaulturl", vault.url, "--authtype", "AppRoleSecret",
                                  "--roleid", "og-role", "--secretid", "-", "--rootpath", "secret/og"], stdin: CredstoreSecrets.secretID + "\n")
        try #require(vaultStore.exitStatus == 0, "\(vaultStore.standardErrorText)")
        let fromVault = try addEndpoint("via-vault", store: "vault1", id: "ssh")
        #expect(fromVault.exitStatus == 0, "\(fromVault.standardErrorText)")
        let wrongLogin = try addEndpoint("wrong", store: "vault1", id: "wrong")
        #expect(wrongLogin.exitStatus != 0, "a wrong password from Vault reaches sshd and is refused")
        let missing = try addEndpoint("missing", store: "vault1", id: "absent")
        #expect(missing.standardErrorText.contains("credential store 'vault1', credential 'absent': secret missing"), "\(missing.standardErrorText)")

        // CyberArk CCP with a client certificate required by TLS.
        let pki = try TestPKI()
        let ccp = try CredstoreServer.cyberArk(pki: pki, accounts: [["Safe": "Linux", "Name": "ssh", "UserName": sshd.user, "Content": sshd.password]],
                                               clientCA: pki.chain)
        #expect(try run(["ca", "add", pki.file("root.pem")]).exitStatus == 0)
        let (client, clientKey) = try pki.issue("gateway-client", dnsNames: ["og-gateway"])
        let p12 = pki.file("client.p12")
        try pki.openssl(["pkcs12", "-export", "-in", client, "-inkey", clientKey, "-certfile", pki.file("int.pem"), "-out", p12,
                         "-passout", "stdin"], standardInput: Array("\(CredstoreSecrets.certificatePassword)\n".utf8))
        let noCertificate = try run(["credstore", "add", "cyberark", "--storename", "ark0", "--appid", "og-app", "--ccpurl", ccp.url,
                                     "--verify", "Safe=Linux;Object=ssh"])
        #expect(noCertificate.exitStatus != 0, "the CCP demands a client certificate")
        let arkStore = try run(["credstore", "add", "cyberark", "--storename", "ark", "--appid", "og-app", "--ccpurl", ccp.url,
                                "--authcert", p12, "--certpass", "env:CERTPASS", "--verify", "Safe=Linux;Object=ssh"],
                               environment: ["CERTPASS": CredstoreSecrets.certificatePassword])
        try #require(arkStore.exitStatus == 0, "\(arkStore.standardErrorText)")
        let fromCyberArk = try addEndpoint("via-cyberark", store: "ark", id: "Safe=Linux;Object=ssh")
        #expect(fromCyberArk.exitStatus == 0, "\(fromCyberArk.standardErrorText)")

        // A named local store.
        #expect(try run(["credstore", "add", "local", "--storename", "team"]).exitStatus == 0)
        #expect(try run(["credstore", "credentials", "add", "--storename", "team", "--id", "ssh", "--username", sshd.user, "--password", "-"],
                        stdin: sshd.password + "\n").exitStatus == 0)
        let fromLocal = try addEndpoint("via-local", store: "team", id: "ssh")
        #expect(fromLocal.exitStatus == 0, "\(fromLocal.standardErrorText)")

        // Later jobs resolve again: discovery connects with the Vault credential in a new process.
        let nodes = try run(["tls", "nodes", "via-vault"])
        #expect(nodes.exitStatus == 0, "\(nodes.standardErrorText)")

        // Stores in use cannot be removed, and the refusal names the endpoints.
        for (store, endpoint) in [("vault1", "via-vault"), ("ark", "via-cyberark"), ("team", "via-local")] {
            let refused = try run(["credstore", "remove", "--storename", store])
            #expect(refused.exitStatus != 0)
            #expect(refused.standardErrorText.contains("still used by endpoint(s) \(endpoint)"), "\(refused.standardErrorText)")
        }
        #expect(try run(["tls", "remove", "via-local"]).exitStatus == 0)
        #expect(try run(["credstore", "remove", "--storename", "team"]).exitStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: fixture.dataDirectory + "/credentials/team.ogcs"), "the store's file went with it")

        let shown = try run(["tls", "show", "via-vault", "--output", "json"])
        #expect(shown.standardOutputText.contains("vault1:ssh"), "only the reference is kept: \(shown.standardOutputText)")
        _ = try run(["audit"])
        _ = try run(["credstore", "list", "--output", "json"])

        let secrets = [sshd.password, CredstoreSecrets.secretID, CredstoreSecrets.certificatePassword]
        var texts = outputs.flatMap { [$0.standardOutputText, $0.standardErrorText] }
        texts += fixture.dataDirectoryContents().values.map { String(decoding: $0, as: UTF8.self) }
        for log in [vault.daemon.logPath, ccp.daemon.logPath, sshd.logPath] {
            texts.append((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }
        for secret in secrets {
            #expect(!texts.contains { $0.contains(secret) }, "a secret leaked to output, the data directory or a log")
        }
    }
}
