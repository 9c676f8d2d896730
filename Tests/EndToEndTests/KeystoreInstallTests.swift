import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `tls install` into real keystores through the keystore plugin, checked with
/// the clients a user would use (openssl, keytool): entries kept, algorithms
/// right, failing scripts rolled back, crashes recovered.
@Suite struct KeystoreInstallTests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let work: TemporaryDirectory
    let password = "changeit-\(UInt16.random(in: 1000...9999))"

    init() throws {
        fixture = try GatewayFixture(plugins: ["keystore"])
        pki = try TestPKI()
        work = try TemporaryDirectory("og-keystores")
    }

    func add(_ arguments: [String]) throws -> ProcessOutput {
        try fixture.run(["tls", "add"] + arguments, extraEnvironment: ["STORE_PASS": password])
    }

    func keytoolList(_ path: String, type: String) throws -> String {
        let passwordFile = work.file("storepass")
        try LocalFiles.writeAtomically(passwordFile, contents: Array(password.utf8), mode: 0o600)
        let output = try ProcessRunner.run("keytool", ["-list", "-v", "-keystore", path, "-storetype", type,
                                                       "-storepass:file", passwordFile])
        #expect(output.exitStatus == 0, "keytool: \(output.standardErrorText) \(output.standardOutputText)")
        return output.standardOutputText
    }

    func p12Info(_ path: String) throws -> String {
        let output = try ProcessRunner.run("openssl", ["pkcs12", "-info", "-nokeys", "-in", path, "-passin", "env:OG_P12_PASS"],
                                           environment: EnvironmentVariable.all().merging(["OG_P12_PASS": password]) { $1 })
        #expect(output.exitStatus == 0, "openssl pkcs12: \(output.standardErrorText)")
        return output.standardOutputText + output.standardErrorText
    }

    @Test func pkcs12InstallAddsTheEntryKeepsTheOtherAndUsesPBES2() throws {
        let path = work.file("store.p12")
        try makeP12WithPassword(path)
        let added = try add(["p12", "--name", "ks", "--connection_type", "local", "--path", path,
                             "--store_password", "env:STORE_PASS"])
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        let leaf = try pki.issue("web", dnsNames: ["web.example.test"])
        let install = try fixture.run(["tls", "install", "ks", "--cert", leaf.certificate, "--key", leaf.key,
                                       "--chain", pki.chain, "--alias", "web"])
        #expect(install.exitStatus == 0, "\(install.standardErrorText)")
        let listing = try keytoolList(path, type: "PKCS12")
        #expect(listing.contains("Alias name: other"))
        #expect(listing.contains("Alias name: web"))
        #expect(listing.contains("Certificate chain length: 2"), "leaf + intermediate, root left out")
        let info = try p12Info(path)
        #expect(info.contains("PBES2"))
        #expect(info.contains("AES-256-CBC"))
        #expect(info.contains("MAC: sha256"))

        let nodes = try fixture.run(["tls", "nodes", "ks", "--output", "json"])
        #expect(nodes.exitStatus == 0, "\(nodes.standardErrorText)")
        #expect(nodes.standardOutputText.contains("\"id\" : \"web\""))
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(nodes.standardOutput)) as? [[String: Any]])
        let web = try #require(listed.first { $0["id"] as? String == "web" })
        let configured = try #require(web["configured"] as? [String: Any], "the keystore entry's certificate reaches tls nodes")
        #expect(configured["sha256_fingerprint"] as? String == (try pki.fingerprint(leaf.certificate)))
        // No backup is left behind after a successful install.
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.contains("og-backup") }.isEmpty)
    }

    @Test func legacyPKCS12UsesTripleDESAndASHA1MAC() throws {
        let path = work.file("legacy.p12")
        try makeP12WithPassword(path)
        #expect(try add(["p12", "--name", "legacy", "--connection_type", "local", "--path", path,
                         "--store_password", "env:STORE_PASS", "--is_legacy", "true"]).exitStatus == 0)
        let leaf = try pki.issue("web", dnsNames: ["web.example.test"])
        let install = try fixture.run(["tls", "install", "legacy", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain])
        #expect(install.exitStatus == 0, "\(install.standardErrorText)")
        let info = try p12Info(path)
        #expect(info.contains("pbeWithSHA1And3-KeyTripleDES-CBC"))
        #expect(info.contains("MAC: sha1"))
    }

    @Test func jksInstallKeepsEveryEntryKeytoolWrote() throws {
        let path = work.file("store.jks")
        for alias in ["alpha", "beta"] {
            let output = try ProcessRunner.run("keytool", ["-genkeypair", "-alias", alias, "-keyalg", "RSA", "-keysize", "2048",
                                                           "-dname", "CN=\(alias)", "-validity", "30", "-keystore", path,
                                                           "-storetype", "JKS", "-storepass:env", "STORE_PASS", "-keypass:env", "STORE_PASS"],
                                               environment: EnvironmentVariable.all().merging(["STORE_PASS": password]) { $1 })
            try #require(output.exitStatus == 0, "keytool: \(output.standardErrorText)")
        }
        let before = try keytoolList(path, type: "JKS")
        #expect(try add(["jks", "--name", "java", "--connection_type", "local", "--path", path,
                         "--store_password", "env:STORE_PASS"]).exitStatus == 0)
        let leaf = try pki.issue("app", dnsNames: ["app.example.test"], key: "rsa")
        let install = try fixture.run(["tls", "install", "java", "--cert", leaf.certificate, "--key", leaf.key,
                                       "--chain", pki.chain, "--alias", "tomcat"])
        #expect(install.exitStatus == 0, "\(install.standardErrorText)")
        let after = try keytoolList(path, type: "JKS")
        for alias in ["alpha", "beta", "tomcat"] { #expect(after.contains("Alias name: \(alias)")) }
        // The untouched entries keep their certificates.
        for line in before.split(separator: "\n") where line.contains("SHA256:") { #expect(after.contains(line)) }
    }

    /// Installing the same certificates again leaves the same store: a CA
    /// shared by two key entries is not duplicated on each rewrite (checked
    /// with openssl and keytool).
    @Test func repeatedPKCS12InstallsAreIdempotentWithSharedIntermediates() throws {
        let path = work.file("store.p12")
        try makeP12WithPassword(path)
        #expect(try add(["p12", "--name", "ks", "--connection_type", "local", "--path", path,
                         "--store_password", "env:STORE_PASS"]).exitStatus == 0)
        let web = try pki.issue("web", dnsNames: ["web.example.test"])
        let api = try pki.issue("api", dnsNames: ["api.example.test"])
        func install(_ leaf: (certificate: String, key: String), _ alias: String) throws {
            let result = try fixture.run(["tls", "install", "ks", "--cert", leaf.certificate, "--key", leaf.key,
                                          "--chain", pki.chain, "--alias", alias])
            #expect(result.exitStatus == 0, "\(result.standardErrorText)")
        }
        func certificateCount() throws -> Int { try p12Info(path).components(separatedBy: "-----BEGIN CERTIFICATE-----").count - 1 }
        try install(web, "web")
        try install(api, "api")
        let settled = try certificateCount()
        let listing = try keytoolList(path, type: "PKCS12")
        #expect(listing.contains("Your keystore contains 3 entries"), "\(listing)")
        for _ in 0..<2 {
            try install(web, "web")
            try install(api, "api")
            #expect(try certificateCount() == settled, "the store grows on every install")
            #expect(try keytoolList(path, type: "PKCS12").contains("Your keystore contains 3 entries"))
        }
        // other, web and api each with the test CA's intermediate that issued all three.
        #expect(settled == 6, "\(settled) certificates")
    }

    /// A JKS store with the one key entry its connector uses, and no alias
    /// given anywhere: the install replaces that entry instead of adding a
    /// second key entry, and repeating it changes nothing more.
    @Test func defaultAliasReplacesTheStoresOnlyKeyEntry() throws {
        let path = work.file("connector.jks")
        let made = try ProcessRunner.run("keytool", ["-genkeypair", "-alias", "tomcat", "-keyalg", "RSA", "-keysize", "2048",
                                                     "-dname", "CN=old", "-validity", "30", "-keystore", path,
                                                     "-storetype", "JKS", "-storepass:env", "STORE_PASS", "-keypass:env", "STORE_PASS"],
                                         environment: EnvironmentVariable.all().merging(["STORE_PASS": password]) { $1 })
        try #require(made.exitStatus == 0, "keytool: \(made.standardErrorText)")
        #expect(try add(["jks", "--name", "java", "--connection_type", "local", "--path", path,
                         "--store_password", "env:STORE_PASS"]).exitStatus == 0)
        let leaf = try pki.issue("app", dnsNames: ["app.example.test"], key: "rsa")
        for _ in 0..<2 {
            let install = try fixture.run(["tls", "install", "java", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain])
            #expect(install.exitStatus == 0, "\(install.standardErrorText)")
            let listing = try keytoolList(path, type: "JKS")
            #expect(listing.contains("Your keystore contains 1 entry"), "\(listing)")
            #expect(listing.contains("Alias name: tomcat"))
            #expect(listing.contains("CN=app.example.test") || listing.contains("app.example.test"), "\(listing)")
        }
    }

    @Test func failingInstallScriptRollsTheKeystoreBack() throws {
        let path = work.file("store.p12")
        try makeP12WithPassword(path)
        let original = try LocalFiles.read(path)
        let script = work.file("install.sh")
        let marker = work.file("script-saw")
        try LocalFiles.writeAtomically(script, contents: Array("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '\(marker)'\necho 'reload refused' >&2\nexit 3\n".utf8), mode: 0o755)
        #expect(try add(["p12", "--name", "ks", "--connection_type", "local", "--path", path,
                         "--store_password", "env:STORE_PASS", "--install_script", script]).exitStatus == 0)
        let leaf = try pki.issue("web", dnsNames: ["web.example.test"])
        let install = try fixture.run(["tls", "install", "ks", "--cert", leaf.certificate, "--key", leaf.key,
                                       "--chain", pki.chain, "--alias", "web"])
        #expect(install.exitStatus == 6, "rolled back")
        #expect(install.standardErrorText.contains("reload refused"), "\(install.standardErrorText)")
        #expect(install.standardErrorText.contains("rolled back"))
        #expect(try LocalFiles.read(path) == original, "the keystore is byte-identical to before")
        // Run once with the new entry's alias, then again to re-activate the restored keystore.
        #expect(String(decoding: try LocalFiles.read(marker), as: UTF8.self) == "web\nog-host\n", "the script got the alias")
        #expect(install.standardErrorText.contains("re-activating the restored files failed too"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.contains("og-backup") }.isEmpty)
        let audit = try fixture.run(["audit", "--action", "tls.install", "--output", "json"])
        #expect(audit.standardOutputText.contains("\"outcome\" : \"failure\""))
        #expect(!audit.standardOutputText.contains(password))
    }

    @Test func dryRunChangesNothing() throws {
        let path = work.file("store.p12")
        try makeP12WithPassword(path)
        let original = try LocalFiles.read(path)
        #expect(try add(["p12", "--name", "ks", "--connection_type", "local", "--path", path,
                         "--store_password", "env:STORE_PASS"]).exitStatus == 0)
        let leaf = try pki.issue("web", dnsNames: ["web.example.test"])
        let dry = try fixture.run(["tls", "install", "ks", "--cert", leaf.certificate, "--key", leaf.key,
                                   "--chain", pki.chain, "--dry-run"])
        #expect(dry.exitStatus == 0, "\(dry.standardErrorText)")
        #expect(dry.standardOutputText.contains("modify \(path)"))
        #expect(dry.standardOutputText.contains("Dry run: nothing was changed."))
        #expect(try LocalFiles.read(path) == original)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).count == 1)
    }

    @Test func crashAfterWritingIsRecoveredFromTheJournal() throws {
        let path = work.file("store.p12")
        try makeP12WithPassword(path)
        let original = try LocalFiles.read(path)
        #expect(try add(["p12", "--name", "ks", "--connection_type", "local", "--path", path,
                         "--store_password", "env:STORE_PASS"]).exitStatus == 0)
        let leaf = try pki.issue("web", dnsNames: ["web.example.test"])
        let crashed = try fixture.run(["tls", "install", "ks", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain],
                                      extraEnvironment: ["OG_FAULT_INJECT": "after-write"])
        #expect(crashed.exitStatus == 70, "\(crashed.standardErrorText)")
        #expect(try LocalFiles.read(path) != original, "the crash happened after the keystore was rewritten")

        let recovered = try fixture.run(["tls", "recover", "ks"])
        #expect(recovered.exitStatus == 0, "\(recovered.standardErrorText)")
        #expect(recovered.standardOutputText.contains("recovered"))
        #expect(try LocalFiles.read(path) == original, "the journal put the keystore back")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.contains("og-backup") }.isEmpty)

        // And the endpoint is usable again.
        let install = try fixture.run(["tls", "install", "ks", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain])
        #expect(install.exitStatus == 0, "\(install.standardErrorText)")
    }

    @Test func certificateNotMatchingTheKeyIsRefusedBeforeTouchingTheKeystore() throws {
        let path = work.file("store.p12")
        try makeP12WithPassword(path)
        let original = try LocalFiles.read(path)
        #expect(try add(["p12", "--name", "ks", "--connection_type", "local", "--path", path,
                         "--store_password", "env:STORE_PASS"]).exitStatus == 0)
        let one = try pki.issue("one", dnsNames: ["one.example.test"])
        let two = try pki.issue("two", dnsNames: ["two.example.test"])
        let install = try fixture.run(["tls", "install", "ks", "--cert", one.certificate, "--key", two.key, "--chain", pki.chain])
        #expect(install.exitStatus == 2)
        #expect(install.standardErrorText.contains("private key does not match certificate"))
        #expect(try LocalFiles.read(path) == original)
    }

    /// One endpoint is looked up by its job's process, not by the command first: a missing one is still refused
    /// with the same words and exit status (not found), nothing is audited as an install and no journal is left.
    @Test func aMissingEndpointIsRefusedAsNotFound() throws {
        let leaf = try pki.issue("web", dnsNames: ["web.example.test"])
        let install = try fixture.run(["tls", "install", "nowhere", "--cert", leaf.certificate, "--key", leaf.key,
                                       "--chain", pki.chain])
        #expect(install.exitStatus == 3, "\(install.standardErrorText)")
        #expect(install.standardErrorText.hasSuffix(
            "error: endpoint \"nowhere\": no endpoint has this name or instance ID; list endpoints to see what exists\n"),
            "\(install.standardErrorText)")
        #expect(install.standardOutputText.isEmpty)
        let audit = try fixture.run(["audit", "--action", "tls.install", "--output", "json"])
        #expect(audit.exitStatus == 0)
        #expect(!audit.standardOutputText.contains("nowhere"), "\(audit.standardOutputText)")
        // Several endpoints are still all looked up before any job starts.
        let path = work.file("store.p12")
        try makeP12WithPassword(path)
        let original = try LocalFiles.read(path)
        #expect(try add(["p12", "--name", "ks", "--connection_type", "local", "--path", path,
                         "--store_password", "env:STORE_PASS"]).exitStatus == 0)
        let both = try fixture.run(["tls", "install", "ks", "nowhere", "--cert", leaf.certificate, "--key", leaf.key,
                                    "--chain", pki.chain])
        #expect(both.exitStatus == 3, "\(both.standardErrorText)")
        #expect(both.standardErrorText.contains("endpoint \"nowhere\": no endpoint has this name"), "\(both.standardErrorText)")
        #expect(try LocalFiles.read(path) == original, "no job ran")
    }

    @Test func installOverSSHWritesTheRemoteKeystore() throws {
        let sshd = try SSHServerFixture.start()
        let path = "\(sshd.workDirectory)/remote.p12"
        try makeP12WithPassword(path)
        let owner = try FileManager.default.attributesOfItem(atPath: sshd.workDirectory)[.ownerAccountID] as? Int ?? 0
        chown(path, uid_t(owner), gid_t(owner))
        let added = try add(["p12", "--name", "remote", "--connection_type", "ssh", "--host", sshd.host,
                             "--port", String(sshd.port), "--user", sshd.user, "--ssh_key_path", sshd.clientKeyPath,
                             "--path", path, "--store_password", "env:STORE_PASS"])
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        let leaf = try pki.issue("web", dnsNames: ["web.example.test"])
        let install = try fixture.run(["tls", "install", "remote", "--cert", leaf.certificate, "--key", leaf.key,
                                       "--chain", pki.chain, "--alias", "web"])
        #expect(install.exitStatus == 0, "\(install.standardErrorText)")
        let listing = try keytoolList(path, type: "PKCS12")
        #expect(listing.contains("Alias name: other"))
        #expect(listing.contains("Alias name: web"))
    }

    func makeP12WithPassword(_ path: String) throws {
        let other = try pki.issue("other", dnsNames: ["other.example.test"], key: "rsa")
        let output = try ProcessRunner.run("openssl", ["pkcs12", "-export", "-in", other.certificate, "-inkey", other.key,
                                                       "-name", "other", "-out", path, "-passout", "env:OG_P12_PASS"],
                                           environment: EnvironmentVariable.all().merging(["OG_P12_PASS": password]) { $1 })
        try #require(output.exitStatus == 0, "openssl pkcs12 -export: \(output.standardErrorText)")
    }
}
