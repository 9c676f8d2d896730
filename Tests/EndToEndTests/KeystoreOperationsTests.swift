import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The keystore plugin's operations after `tls add`, through the real og-host:
/// node discovery, PEM installs, refused plans, and the restart script.
/// (PKCS#12 and JKS installs, rollback and recovery: KeystoreInstallTests.)
@Suite struct KeystoreOperationsTests {
    let fixture: GatewayFixture
    let files: KeystoreTestFiles

    init() throws {
        fixture = try GatewayFixture(plugins: ["keystore"])
        files = try KeystoreTestFiles()
    }

    func run(_ arguments: [String]) throws -> ProcessOutput {
        try fixture.run(arguments, extraEnvironment: files.passwordEnvironment)
    }

    func addEndpoint(_ type: String, name: String, _ options: [String]) throws {
        let added = try run(["tls", "add", type, "--name", name, "--connection_type", "local"] + options)
        try #require(added.exitStatus == 0, "tls add \(type): \(added.standardErrorText)")
    }

    func nodes(_ endpoint: String) throws -> [[String: Any]] {
        let result = try run(["tls", "nodes", endpoint, "--output", "json"])
        try #require(result.exitStatus == 0, "tls nodes: \(result.standardErrorText)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [[String: Any]])
    }

    func openssl(_ arguments: [String]) throws -> String {
        let output = try ProcessRunner.run("openssl", arguments)
        try #require(output.exitStatus == 0, "openssl \(arguments.first ?? ""): \(output.standardErrorText)")
        return output.standardOutputText
    }

    // MARK: Discovery

    @Test func jksNodesAreItsEntriesWithTheirKind() throws {
        let path = try files.keytoolStore("store.jks", aliases: ["tomcat", "api"])
        try files.addTrustedCertificate(to: path, alias: "corp-root")
        try addEndpoint("jks", name: "java", ["--path", path, "--store_password", "env:STORE_PASS"])

        let found = try nodes("java")
        #expect(Set(found.compactMap { $0["id"] as? String }) == ["tomcat", "api", "corp-root"])
        let tomcat = try #require(found.first { $0["id"] as? String == "tomcat" })
        #expect(tomcat["name"] as? String == "tomcat")
        #expect(tomcat["protocol"] as? String == "keystore")
        #expect(tomcat["certificate_path"] as? String == path)
        let detail = try #require(tomcat["detail"] as? String)
        #expect(detail.hasPrefix("key entry, chain 1, CN=tomcat.example.test, expires "), "\(detail)")
        #expect(tomcat["aliases"] as? [String] == [])
        let root = try #require(found.first { $0["id"] as? String == "corp-root" })
        #expect((root["detail"] as? String)?.hasPrefix("trusted certificate, ") == true)
        let rootFingerprint = try files.pki.fingerprint(files.pki.file("root.pem"))
        #expect((root["detail"] as? String)?.hasSuffix("SHA-256 \(rootFingerprint)") == true, "\(root)")
    }

    @Test func pemNodeIsTheFileNamedByItsLeaf() throws {
        let leaf = try files.leaf("site")
        let chain = try files.write("site.pem", try files.bytes(leaf.certificate) + files.bytes(files.pki.file("int.pem")))
        try addEndpoint("pem", name: "site", ["--path", chain, "--key_path", files.file("site.key")])

        let found = try nodes("site")
        #expect(found.count == 1)
        let node = try #require(found.first)
        #expect(node["id"] as? String == chain)
        #expect(node["name"] as? String == "site.example.test")
        #expect(node["detail"] as? String == "PEM file, leaf and 1 intermediate(s), key in \(files.file("site.key"))")
        let configured = try #require(node["configured"] as? [String: Any], "the leaf was handed to the host")
        #expect(configured["sha256_fingerprint"] as? String == (try files.pki.fingerprint(leaf.certificate)))
    }

    // MARK: PEM installs

    @Test func pemInstallWritesTheChainAndAPrivateKeyFileThatMatches() throws {
        let path = try files.write("cert.pem", [])
        let keyPath = files.file("private/key.pem")
        try FileManager.default.createDirectory(atPath: files.file("private"), withIntermediateDirectories: true)
        try addEndpoint("pem", name: "app", ["--path", path, "--key_path", keyPath])

        let leaf = try files.leaf("app")
        let install = try run(["tls", "install", "app", "--cert", leaf.certificate, "--key", leaf.key, "--chain", files.pki.chain])
        #expect(install.exitStatus == 0, "\(install.standardErrorText)")
        #expect(install.standardOutputText.contains("write app.example.test and 1 intermediate(s) to \(path) and create \(keyPath)"),
                "\(install.standardOutputText)")

        let written = String(decoding: try files.bytes(path), as: UTF8.self)
        #expect(written.components(separatedBy: "-----BEGIN CERTIFICATE-----").count == 3, "leaf and intermediate, no root")
        #expect(!written.contains("PRIVATE KEY"))
        #expect(try openssl(["x509", "-in", path, "-noout", "-subject"]).contains("app.example.test"), "the leaf comes first")
        let attributes = try FileManager.default.attributesOfItem(atPath: keyPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let keyPublic = try openssl(["pkey", "-in", keyPath, "-pubout"])
        let certificatePublic = try openssl(["x509", "-in", path, "-noout", "-pubkey"])
        #expect(keyPublic == certificatePublic, "the key file holds the certificate's key")
    }

    @Test func combinedPemInstallPutsTheKeyBeforeTheCertificates() throws {
        let path = try files.write("combined.pem", [], mode: 0o600)
        try addEndpoint("pem", name: "haproxy", ["--path", path])
        let leaf = try files.leaf("lb")
        let install = try run(["tls", "install", "haproxy", "--cert", leaf.certificate, "--key", leaf.key, "--chain", files.pki.chain])
        #expect(install.exitStatus == 0, "\(install.standardErrorText)")

        let written = String(decoding: try files.bytes(path), as: UTF8.self)
        let key = try #require(written.range(of: "-----BEGIN PRIVATE KEY-----"))
        let certificate = try #require(written.range(of: "-----BEGIN CERTIFICATE-----"))
        #expect(key.lowerBound < certificate.lowerBound)
        #expect(try openssl(["pkey", "-in", path, "-pubout"]) == (try openssl(["x509", "-in", path, "-noout", "-pubkey"])))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600, "the file keeps its mode")
    }

    @Test func pemInstallScriptGetsTheCertificatePath() throws {
        let path = try files.write("cert.pem", [])
        let marker = files.file("script-saw")
        let script = try files.script("install.sh", "printf '%s' \"$1\" > '\(marker)'")
        try addEndpoint("pem", name: "app", ["--path", path, "--key_path", files.file("key.pem"), "--install_script", script])
        let leaf = try files.leaf("scripted")
        let install = try run(["tls", "install", "app", "--cert", leaf.certificate, "--key", leaf.key, "--chain", files.pki.chain])
        #expect(install.exitStatus == 0, "\(install.standardErrorText)")
        #expect(String(decoding: try files.bytes(marker), as: UTF8.self) == path)
    }

    // MARK: Refused plans

    @Test func installOverATrustedCertificateEntryIsRefusedAndChangesNothing() throws {
        let path = try files.keytoolStore("store.jks", aliases: ["tomcat"])
        try files.addTrustedCertificate(to: path, alias: "corp-root")
        let original = try files.bytes(path)
        try addEndpoint("jks", name: "java", ["--path", path, "--store_password", "env:STORE_PASS"])
        let leaf = try files.leaf("intruder")
        let install = try run(["tls", "install", "java", "--cert", leaf.certificate, "--key", leaf.key,
                               "--chain", files.pki.chain, "--alias", "corp-root"])
        #expect(install.exitStatus != 0)
        #expect(install.standardErrorText.contains("--alias: 'corp-root' in \(path) is a trusted certificate, not a key entry"),
                "\(install.standardErrorText)")
        #expect(try files.bytes(path) == original)
    }

    @Test func installOnAnUnknownNodeListsTheEntries() throws {
        let path = try files.p12("store.p12", alias: "web")
        try addEndpoint("p12", name: "ks", ["--path", path, "--store_password", "env:STORE_PASS"])
        let leaf = try files.leaf("nowhere")
        let install = try run(["tls", "install", "ks", "--cert", leaf.certificate, "--key", leaf.key,
                               "--chain", files.pki.chain, "--node", "mail"])
        #expect(install.exitStatus != 0)
        #expect(install.standardErrorText.contains("--node: 'mail' is not an entry of \(path) (its entries are 'web')"),
                "\(install.standardErrorText)")
    }

    @Test func dryRunSaysWhichEntryIsReplaced() throws {
        let path = try files.p12("store.p12", alias: "web")
        try addEndpoint("p12", name: "ks", ["--path", path, "--store_password", "env:STORE_PASS", "--alias", "web"])
        let leaf = try files.leaf("renewed")
        let dry = try run(["tls", "install", "ks", "--cert", leaf.certificate, "--key", leaf.key,
                           "--chain", files.pki.chain, "--dry-run"])
        #expect(dry.exitStatus == 0, "\(dry.standardErrorText)")
        #expect(dry.standardOutputText.contains(
            "replace key entry 'web' (web.example.test) in \(path) with renewed.example.test and 1 intermediate(s); 0 other entries kept"),
                "\(dry.standardOutputText)")
    }

    // MARK: Restart

    @Test func restartRunsTheRestartScriptWithoutArguments() throws {
        let marker = files.file("restarted")
        let script = try files.script("restart.sh", "printf '%s' \"$#\" > '\(marker)'")
        try addEndpoint("p12", name: "ks", ["--path", try files.p12("store.p12"), "--store_password", "env:STORE_PASS",
                                            "--restart_script", script])
        let restart = try run(["tls", "restart", "ks"])
        #expect(restart.exitStatus == 0, "\(restart.standardErrorText)")
        #expect(String(decoding: try files.bytes(marker), as: UTF8.self) == "0")
    }

    @Test func restartWithoutAScriptSaysHowToConfigureOne() throws {
        try addEndpoint("jks", name: "java", ["--path", try files.keytoolStore("store.jks"), "--store_password", "env:STORE_PASS"])
        let restart = try run(["tls", "restart", "java"])
        #expect(restart.exitStatus != 0)
        #expect(restart.standardErrorText.contains("--restart_script: no --restart_script is configured"), "\(restart.standardErrorText)")
    }

    @Test func failingRestartScriptReportsItsErrorOutputWithoutTheStorePassword() throws {
        // The script echoes the store password, as a careless script might; it must not reach the operator.
        let noise = String(repeating: "x", count: 3000)
        let script = try files.script("restart.sh", "echo '\(noise)' >&2\necho \"cannot restart with \(files.password)\" >&2\nexit 4")
        try addEndpoint("p12", name: "ks", ["--path", try files.p12("store.p12"), "--store_password", "env:STORE_PASS",
                                            "--restart_script", script])
        let restart = try run(["tls", "restart", "ks"])
        #expect(restart.exitStatus != 0)
        #expect(restart.standardErrorText.contains("exited with status 4"), "\(restart.standardErrorText)")
        #expect(restart.standardErrorText.contains("cannot restart with (hidden)"))
        #expect(!restart.standardErrorText.contains(files.password))
        #expect(restart.standardErrorText.utf8.count < 2600, "the script's output is trimmed to its last 2 KiB")
        let audit = try run(["audit", "--output", "json"])
        #expect(!audit.standardOutputText.contains(files.password))
    }
}
