import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `cert deploy` against real servers: two nginx instances and a PKCS#12
/// keystore reached over a loopback sshd, all bound to one certificate. A new
/// version reaches all three (proven by handshakes and by reading the store
/// with openssl); a broken nginx configuration rolls that endpoint back alone
/// and the summary and exit status 9 say so; a plugin that segfaults mid-install
/// fails its endpoint's job, which is recovered in another process, while the
/// deploy goes on.
@Suite struct CertDeployTests {
    let fixture: GatewayFixture
    let files: KeystoreTestFiles
    var pki: TestPKI { files.pki }

    init() throws {
        fixture = try GatewayFixture(plugins: ["nginx", "keystore"])
        files = try KeystoreTestFiles()
        let anchor = try fixture.run(["ca", "add", files.pki.file("root.pem"), "--name", "deploy-test-root"])
        try #require(anchor.exitStatus == 0, "\(anchor.standardErrorText)")
    }

    /// Imports a new version of `name` for beta.example.test; returns its fingerprint.
    func importVersion(_ name: String, _ label: String) throws -> String {
        let leaf = try pki.issue(label, dnsNames: ["beta.example.test"])
        let imported = try fixture.run(["cert", "import", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain,
                                        "--name", name])
        try #require(imported.exitStatus == 0, "cert import: \(imported.standardErrorText)")
        return try pki.fingerprint(leaf.certificate)
    }

    func addNginx(_ name: String, _ nginx: NginxTestInstance) throws {
        let added = try fixture.run(["tls", "add", "nginx", "--name", name] + nginx.localOptions)
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
    }

    /// The leaf under `alias` in the PKCS#12 file at `path`, read with openssl.
    func storedFingerprint(_ path: String, alias: String) throws -> String {
        let dump = try ProcessRunner.run("openssl", ["pkcs12", "-in", path, "-nokeys", "-clcerts", "-passin", "env:OG_P12_PASS"],
                                         environment: EnvironmentVariable.all().merging(["OG_P12_PASS": files.password]) { $1 })
        try #require(dump.exitStatus == 0, "openssl pkcs12: \(dump.standardErrorText)")
        let text = dump.standardOutputText
        try #require(text.contains("friendlyName: \(alias)"), "\(text)")
        let leaf = try ProcessRunner.run("openssl", ["x509", "-noout", "-fingerprint", "-sha256"], standardInput: dump.standardOutput)
        return leaf.standardOutputText.split(separator: "=").last.map {
            $0.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        } ?? ""
    }

    @Test func deployReachesTwoNginxAndAKeystoreOverSSHAndABrokenOneRollsBackAlone() throws {
        let sshd = try SSHServerFixture.start()
        let first = try NginxTestInstance(pki: pki)
        let second = try NginxTestInstance(pki: pki)
        try first.start()
        try second.start()
        try addNginx("web1", first)
        try addNginx("web2", second)
        let owner = try FileManager.default.attributesOfItem(atPath: sshd.workDirectory)
        let store = "\(sshd.workDirectory)/remote.p12"
        try LocalFiles.writeAtomically(store, contents: try LocalFiles.read(try files.p12("local.p12", alias: "web")), mode: 0o600)
        chown(store, uid_t(owner[.ownerAccountID] as? Int ?? 0), gid_t(owner[.groupOwnerAccountID] as? Int ?? 0))
        let addStore = try fixture.run(["tls", "add", "p12", "--name", "store", "--connection_type", "ssh", "--host", sshd.host,
                                        "--port", String(sshd.port), "--user", sshd.user, "--ssh_key_path", sshd.clientKeyPath,
                                        "--path", store, "--store_password", "env:STORE_PASS"],
                                       extraEnvironment: files.passwordEnvironment)
        try #require(addStore.exitStatus == 0, "\(addStore.standardErrorText)")

        // Version 1 installed by hand binds the certificate to the three endpoints.
        let v1 = try importVersion("site", "site-v1")
        let both = try fixture.run(["tls", "install", "web1", "web2", "--cert-id", "site"])
        try #require(both.exitStatus == 0, "\(both.standardErrorText)\(both.standardOutputText)")
        let intoStore = try fixture.run(["tls", "install", "store", "--cert-id", "site", "--alias", "web"])
        try #require(intoStore.exitStatus == 0, "\(intoStore.standardErrorText)")
        #expect(try first.servedFingerprint("beta.example.test") == v1)
        #expect(try storedFingerprint(store, alias: "web") == v1)

        // Version 2 goes everywhere with one command.
        let v2 = try importVersion("site", "site-v2")
        let deployed = try fixture.run(["cert", "deploy", "site"])
        #expect(deployed.exitStatus == 0, "\(deployed.standardErrorText)\(deployed.standardOutputText)")
        #expect(deployed.standardOutputText.contains("3 of 3 endpoints succeeded"), "\(deployed.standardOutputText)")
        for endpoint in ["web1", "web2", "store"] {
            #expect(deployed.standardOutputText.contains("\(endpoint): installed"), "one line per endpoint: \(deployed.standardOutputText)")
        }
        #expect(try first.servedFingerprint("beta.example.test") == v2)
        #expect(try second.servedFingerprint("beta.example.test") == v2)
        #expect(try storedFingerprint(store, alias: "web") == v2)

        // Deploying the same version again changes nothing on the nginx endpoints.
        let again = try fixture.run(["cert", "deploy", "site", "--endpoint", "web1", "--output", "json"])
        #expect(again.exitStatus == 0, "\(again.standardErrorText)")
        let againReport = try #require(try JSONSerialization.jsonObject(with: Data(again.standardOutput)) as? [String: Any])
        let againRows = try #require(againReport["rows"] as? [[String: Any]])
        #expect(againRows.map { $0["endpoint"] as? String } == ["web1"], "--endpoint limits the deploy")
        #expect(againRows.first?["outcome"] as? String == "unchanged", "\(again.standardOutputText)")

        // web2's configuration is broken behind nginx's back: its install fails the config test and rolls back alone.
        try second.write("conf.d/broken.conf", "og_no_such_directive on;\n")
        let v3 = try importVersion("site", "site-v3")
        let partial = try fixture.run(["cert", "deploy", "site", "--parallel", "3", "--output", "json"])
        #expect(partial.exitStatus == 9, "partial: \(partial.standardErrorText)\(partial.standardOutputText)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(partial.standardOutput)) as? [String: Any])
        #expect(report["succeeded"] as? Int == 2)
        #expect(report["failed"] as? Int == 1)
        #expect(report["category"] as? String == "partial")
        let rows = try #require(report["rows"] as? [[String: Any]])
        let outcomes = Dictionary(uniqueKeysWithValues: rows.map { ($0["endpoint"] as? String ?? "", $0["outcome"] as? String ?? "") })
        #expect(outcomes == ["web1": "installed", "web2": "rolled-back", "store": "installed"], "\(rows)")
        let web2Row = try #require(rows.first { $0["endpoint"] as? String == "web2" })
        #expect((web2Row["message"] as? String ?? "").contains("configuration test failed"), "\(web2Row)")
        #expect(try first.servedFingerprint("beta.example.test") == v3)
        #expect(try storedFingerprint(store, alias: "web") == v3)
        #expect(try second.servedFingerprint("beta.example.test") == v2, "the broken endpoint still serves the previous version")

        // The text summary says the same.
        let summary = try fixture.run(["cert", "deploy", "site", "--endpoint", "web2"])
        #expect(summary.exitStatus == 6, "only the failing endpoint: its own category: \(summary.standardErrorText)")
        #expect(summary.standardOutputText.contains("0 of 1 endpoints succeeded"), "\(summary.standardOutputText)")
        #expect(summary.standardOutputText.contains("rolled-back"))
        #expect(summary.standardErrorText.contains("error: endpoint 'web2': "), "\(summary.standardErrorText)")
    }

    @Test func aPluginThatSegfaultsMidInstallFailsItsEndpointOnlyAndIsRecovered() throws {
        // A plugin that crashes in activate, after the host wrote the new file.
        let library = "\(fixture.pluginsDirectory)/libog-plugin-crash-activate.so"
        let compiled = try BuiltProducts.compileCPlugin(source: BuiltProducts.repositoryRoot + "/Tests/Fixtures/plugins/crash_activate.c",
                                                        output: library,
                                                        extraFlags: ["-I", BuiltProducts.repositoryRoot + "/Tests/Fixtures/plugins"])
        try #require(compiled.exitStatus == 0, "\(compiled.standardErrorText)")
        chmod(library, 0o755)
        let manifest = try fixture.run(["plugins", "manifest", library])
        try #require(manifest.exitStatus == 0, "\(manifest.standardErrorText)")

        let nginx = try NginxTestInstance(pki: pki)
        try nginx.start()
        try addNginx("web", nginx)
        let storeDirectory = try TemporaryDirectory("og-crash-store")
        let added = try fixture.run(["tls", "add", "fixture_store", "--name", "crashy", "--connection_type", "local",
                                     "--store_dir", storeDirectory.path])
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")

        let v1 = try importVersion("site", "crash-v1")
        let installed = try fixture.run(["tls", "install", "web", "crashy", "--cert-id", "site"])
        try #require(installed.exitStatus == 0, "\(installed.standardErrorText)\(installed.standardOutputText)")
        let chainV1 = try LocalFiles.read(storeDirectory.file("fullchain.pem"))

        // Next time activate runs on crashy, the plugin dies of SIGSEGV.
        try LocalFiles.writeAtomically(storeDirectory.file("crash-next"), contents: Array("x".utf8))
        let v2 = try importVersion("site", "crash-v2")
        #expect(v1 != v2)
        let deployed = try fixture.run(["cert", "deploy", "site", "--output", "json"])
        #expect(deployed.exitStatus == 9, "\(deployed.standardErrorText)\(deployed.standardOutputText)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(deployed.standardOutput)) as? [String: Any])
        let rows = try #require(report["rows"] as? [[String: Any]])
        let crashy = try #require(rows.first { $0["endpoint"] as? String == "crashy" })
        #expect(crashy["outcome"] as? String == "rolled-back", "\(crashy)")
        #expect(crashy["signal"] as? Int == Int(SIGSEGV), "\(crashy)")
        let message = crashy["message"] as? String ?? ""
        #expect(message.contains("plugin 'crash-activate' (type fixture_store) crashed"), "\(message)")
        #expect(message.contains("signal 11 (SIGSEGV)"), "\(message)")
        #expect(message.contains("recovered in a new process"), "\(message)")
        #expect(rows.first { $0["endpoint"] as? String == "web" }?["outcome"] as? String == "installed", "\(rows)")

        // The crash's half-written file is back as it was, the journal is closed, and the other endpoint has v2.
        #expect(try LocalFiles.read(storeDirectory.file("fullchain.pem")) == chainV1)
        #expect(try nginx.servedFingerprint("beta.example.test") == v2)
        let recover = try fixture.run(["tls", "recover", "crashy"])
        #expect(recover.exitStatus == 0)
        #expect(recover.standardOutputText.contains("has no interrupted install"), "\(recover.standardOutputText)")

        // Without the crash, the next deploy completes the endpoint.
        let retried = try fixture.run(["cert", "deploy", "site", "--endpoint", "crashy"])
        #expect(retried.exitStatus == 0, "\(retried.standardErrorText)\(retried.standardOutputText)")
    }
}
