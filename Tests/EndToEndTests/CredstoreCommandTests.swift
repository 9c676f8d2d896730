import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `og-host credstore …` through the real binary: local stores and their
/// credentials, Vault and CyberArk store configuration with --verify, and the
/// removal rules.
@Suite struct CredstoreCommandTests {
    @Test func localCredentialsAreMaskedUnlessTheSecretIsAskedFor() throws {
        let fixture = try GatewayFixture(plugins: ["hello-c"])
        let added = try fixture.run(["credstore", "add", "local", "--storename", "team"])
        #expect(added.exitStatus == 0, "\(added.standardErrorText)")
        let credential = try fixture.run(["credstore", "credentials", "add", "--storename", "team", "--id", "web", "--username", "deploy",
                                          "--password", "env:PW"], extraEnvironment: ["PW": CredstoreSecrets.localPassword])
        #expect(credential.exitStatus == 0, "\(credential.standardErrorText)")

        let list = try fixture.run(["credstore", "credentials", "list", "--storename", "team"])
        #expect(list.standardOutputText.contains("web") && list.standardOutputText.contains("••••••"), "\(list.standardOutputText)")
        let masked = try fixture.run(["credstore", "credentials", "get", "--storename", "team", "--id", "web"])
        #expect(masked.standardOutputText == "id: web\nusername: deploy\nkind: password\npassword: ••••••\n")
        let shown = try fixture.run(["credstore", "credentials", "get", "--storename", "team", "--id", "web", "--show-secret"])
        #expect(shown.standardOutputText.contains("password: \(CredstoreSecrets.localPassword)\n"))
        // Revealing a secret is audited (without the secret); a masked get is not a reveal.
        let audit = try fixture.run(["audit"]).standardOutputText
        #expect(audit.components(separatedBy: "credentials.reveal").count == 2, "\(audit)")
        #expect(audit.contains("team/web"))
        #expect(!audit.contains(CredstoreSecrets.localPassword))

        let renamed = try fixture.run(["credstore", "credentials", "update", "--storename", "team", "--id", "web", "--username", "ops"])
        #expect(renamed.exitStatus == 0, "\(renamed.standardErrorText)")
        let afterRename = try fixture.run(["credstore", "credentials", "get", "--storename", "team", "--id", "web", "--show-secret"])
        #expect(afterRename.standardOutputText.contains("username: ops\n"))
        #expect(afterRename.standardOutputText.contains("password: \(CredstoreSecrets.localPassword)\n"), "the password was kept")

        let both = try fixture.run(["credstore", "credentials", "add", "--storename", "team", "--id", "two", "--username", "x",
                                    "--password", "env:PW", "--privatekeypath", "/k"], extraEnvironment: ["PW": "p"])
        #expect(both.exitStatus == 2)
        #expect(both.standardErrorText == "error: --password: and --privatekeypath exclude each other; a credential has one or the other\n")
        let relative = try fixture.run(["credstore", "credentials", "add", "--storename", "team", "--id", "k", "--username", "x",
                                        "--privatekeypath", "keys/id"])
        #expect(relative.standardErrorText.contains("--privatekeypath: keys/id is not absolute"))

        let removed = try fixture.run(["credstore", "credentials", "remove", "--storename", "team", "--id", "web"])
        #expect(removed.exitStatus == 0)
        let gone = try fixture.run(["credstore", "credentials", "get", "--storename", "team", "--id", "web"])
        #expect(gone.standardErrorText.contains("credential store \"team\": no credential with ID \"web\""), "\(gone.standardErrorText)")
    }

    @Test func theDefaultStoreCannotBeRemovedNorCanUnknownStores() throws {
        let fixture = try GatewayFixture(plugins: ["hello-c"])
        let refused = try fixture.run(["credstore", "remove", "--storename", "default"])
        #expect(refused.exitStatus != 0)
        #expect(refused.standardErrorText.contains("credential store \"default\": is built in and always local; it cannot be removed"),
                "\(refused.standardErrorText)")
        let unknown = try fixture.run(["credstore", "remove", "--storename", "nosuch"])
        #expect(unknown.standardErrorText == "error: --storename: credential store 'nosuch' does not exist; see `og-host credstore list`\n")
        let listed = try fixture.run(["credstore", "list"])
        #expect(listed.standardOutputText.contains("default") && listed.standardOutputText.contains("built in"))
    }

    @Test func vaultStoresAreVerifiedBeforeTheyAreSavedAndKeepTheirTokenEncrypted() throws {
        let vault = try CredstoreServer.vault(secrets: ["secret/og/web": ["username": "deploy", "password": "vault-web-pass"]])
        let fixture = try GatewayFixture(plugins: ["hello-c"])
        func add(_ options: [String], stdin: String = "") throws -> ProcessOutput {
            try fixture.run(["credstore", "add", "hashicorp", "--storename", "vault1", "--vaulturl", vault.url, "--rootpath", "secret/og"]
                            + options, standardInput: Array(stdin.utf8))
        }
        let badPath = try add(["--authtype", "Token", "--token", "-", "--verify", "nowhere"], stdin: CredstoreSecrets.vaultToken + "\n")
        #expect(badPath.exitStatus != 0)
        #expect(badPath.standardErrorText.contains("credential store 'vault1', credential 'nowhere': secret missing"), "\(badPath.standardErrorText)")
        #expect(!(try fixture.run(["credstore", "list"]).standardOutputText.contains("vault1")), "a failed --verify saves nothing")

        let noToken = try add(["--authtype", "Token"])
        #expect(noToken.standardErrorText == "error: --token: is required with --authtype Token (give - to read it from standard input)\n")
        let badType = try add(["--authtype", "Kerberos"])
        #expect(badType.standardErrorText.contains("--authtype: 'Kerberos' is not one of Token, AppRoleSecret, AppRoleFile"))

        let good = try add(["--authtype", "Token", "--token", "-", "--verify", "web"], stdin: CredstoreSecrets.vaultToken + "\n")
        #expect(good.exitStatus == 0, "\(good.standardErrorText)")
        let got = try fixture.run(["credstore", "credentials", "get", "--storename", "vault1", "--id", "web"])
        #expect(got.standardOutputText == "id: web\nusername: deploy\nkind: password\npassword: ••••••\n", "\(got.standardErrorText)")

        // Switching to AppRole needs the AppRole's own parameters; the wrapped secret ID is unwrapped once and kept.
        let missingRole = try fixture.run(["credstore", "update", "hashicorp", "--storename", "vault1", "--authtype", "AppRoleSecret"])
        #expect(missingRole.standardErrorText == "error: --roleid: is required with --authtype AppRoleSecret\n")
        let wrapped = try vault.wrapSecretID(CredstoreSecrets.secretID)
        let switched = try fixture.run(["credstore", "update", "hashicorp", "--storename", "vault1", "--authtype", "AppRoleSecret",
                                        "--roleid", "og-role", "--secretid", "env:WRAPPED", "--appwrapped", "Yes", "--verify", "web"],
                                       extraEnvironment: ["WRAPPED": wrapped])
        #expect(switched.exitStatus == 0, "\(switched.standardErrorText)")
        let again = try fixture.run(["credstore", "credentials", "get", "--storename", "vault1", "--id", "web"])
        #expect(again.exitStatus == 0, "a later process logs in with the unwrapped secret ID: \(again.standardErrorText)")
        let listed = try fixture.run(["credstore", "list", "--output", "json"])
        #expect(listed.standardOutputText.contains("\"authtype\" : \"AppRoleSecret\""), "\(listed.standardOutputText)")

        let secrets = [CredstoreSecrets.vaultToken, CredstoreSecrets.secretID, wrapped, "vault-web-pass"]
        var texts = [badPath, noToken, good, got, missingRole, switched, again, listed].flatMap { [$0.standardOutputText, $0.standardErrorText] }
        texts += fixture.dataDirectoryContents().values.map { String(decoding: $0, as: UTF8.self) }
        texts.append((try? String(contentsOfFile: vault.daemon.logPath, encoding: .utf8)) ?? "")
        for secret in secrets {
            #expect(!texts.contains { $0.contains(secret) }, "a secret leaked to output, the data directory or the server log")
        }
    }

    @Test func cyberArkStoresCheckTheCertificatePasswordAndTheQuery() throws {
        let pki = try TestPKI()
        let ccp = try CredstoreServer.cyberArk(pki: pki, accounts: [
            ["Safe": "Linux", "Name": "web", "UserName": "deploy", "Content": "ccp-web-pass"],
        ])
        let fixture = try GatewayFixture(plugins: ["hello-c"])
        let untrusted = try fixture.run(["credstore", "add", "cyberark", "--storename", "ark", "--appid", "og-app", "--ccpurl", ccp.url,
                                         "--verify", "Safe=Linux;Object=web"])
        #expect(untrusted.exitStatus != 0)
        #expect(untrusted.standardErrorText.contains("credential store 'ark', credential 'Safe=Linux;Object=web': store unreachable"),
                "\(untrusted.standardErrorText)")
        #expect(try fixture.run(["ca", "add", pki.file("root.pem")]).exitStatus == 0)
        let missing = try fixture.run(["credstore", "add", "cyberark", "--storename", "ark", "--appid", "og-app", "--ccpurl", ccp.url,
                                       "--verify", "Safe=Linux;Object=none"])
        #expect(missing.standardErrorText.contains("secret missing: no account matches the query"), "\(missing.standardErrorText)")
        let good = try fixture.run(["credstore", "add", "cyberark", "--storename", "ark", "--appid", "og-app", "--ccpurl", ccp.url,
                                    "--verify", "Safe=Linux;Object=web"])
        #expect(good.exitStatus == 0, "\(good.standardErrorText)")

        let (client, clientKey) = try pki.issue("gateway-client", dnsNames: ["og-gateway"])
        let p12 = pki.file("client.p12")
        try pki.openssl(["pkcs12", "-export", "-in", client, "-inkey", clientKey, "-certfile", pki.file("int.pem"), "-out", p12,
                         "-passout", "stdin"], standardInput: Array("\(CredstoreSecrets.certificatePassword)\n".utf8))
        let wrongPassword = try fixture.run(["credstore", "update", "cyberark", "--storename", "ark", "--authcert", p12, "--certpass", "env:CP"],
                                            extraEnvironment: ["CP": "not-the-password"])
        #expect(wrongPassword.exitStatus != 0)
        #expect(wrongPassword.standardErrorText.contains("credential store 'ark': --authcert \(p12):"), "\(wrongPassword.standardErrorText)")
        let withCertificate = try fixture.run(["credstore", "update", "cyberark", "--storename", "ark", "--authcert", p12, "--certpass", "-",
                                               "--verify", "Safe=Linux;Object=web"],
                                              standardInput: Array("\(CredstoreSecrets.certificatePassword)\n".utf8))
        #expect(withCertificate.exitStatus == 0, "\(withCertificate.standardErrorText)")
        let listed = try fixture.run(["credstore", "list"])
        #expect(listed.standardOutputText.contains("authcert=\(p12)"), "\(listed.standardOutputText)")
        let texts = [untrusted, missing, good, wrongPassword, withCertificate, listed].flatMap { [$0.standardOutputText, $0.standardErrorText] }
            + fixture.dataDirectoryContents().values.map { String(decoding: $0, as: UTF8.self) }
        for secret in [CredstoreSecrets.certificatePassword, "ccp-web-pass"] {
            #expect(!texts.contains { $0.contains(secret) }, "a secret leaked")
        }
        #expect(!texts.contains { $0.contains("PRIVATE KEY") }, "the client key was written somewhere")
    }
}
