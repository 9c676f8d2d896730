import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The keystore plugin, unchanged, installing into a PKCS#12 file on a
/// "Windows" endpoint reached over winrm_http (NTLM, sealed messages): the
/// WinRM test server maps C:\ into a private directory on this machine, so the
/// result is checked with keytool like any other keystore.
@Suite struct WinRMKeystoreTests {
    @Test func pkcs12InstallOverWinRMHTTP() throws {
        let work = try TemporaryDirectory("og-winrm-e2e")
        let driveRoot = work.file("C")
        try FileManager.default.createDirectory(atPath: driveRoot + "/certs", withIntermediateDirectories: true)
        let winrmPassword = "Win-\(UUID().uuidString.prefix(12))"
        let storePassword = "changeit-\(UInt16.random(in: 1000...9999))"
        let credentials = work.file("credentials")
        try LocalFiles.writeAtomically(credentials, contents: Array("ogtest:\(winrmPassword)".utf8), mode: 0o600)
        let port = Loopback.freePort()
        let script = BuiltProducts.repositoryRoot + "/Tests/Fixtures/winrm/winrm_server.py"
        let server = try SpawnedDaemon(try pythonWithWinRMModules(), [script, "--port", String(port), "--credentials", credentials,
                                                                       "--log", work.file("requests.jsonl"), "--require-encryption",
                                                                       "--drive-root", driveRoot],
                                       port: port, logPath: work.file("server.log"))
        defer { server.stop() }

        let pki = try TestPKI()
        let other = try pki.issue("other", dnsNames: ["other.example.test"], key: "rsa")
        let storePath = driveRoot + "/certs/store.p12"
        let environment = EnvironmentVariable.all().merging(["OG_P12_PASS": storePassword]) { $1 }
        let exported = try ProcessRunner.run("openssl", ["pkcs12", "-export", "-in", other.certificate, "-inkey", other.key,
                                                         "-name", "other", "-out", storePath, "-passout", "env:OG_P12_PASS"],
                                             environment: environment)
        try #require(exported.exitStatus == 0, "openssl pkcs12 -export: \(exported.standardErrorText)")

        let fixture = try GatewayFixture(plugins: ["keystore"])
        let secrets = ["STORE_PASS": storePassword, "WINRM_PASS": winrmPassword]
        let added = try fixture.run(["tls", "add", "p12", "--name", "win", "--connection_type", "winrm_http",
                                     "--host", "127.0.0.1", "--port", String(port), "--user", "ogtest",
                                     "--password", "env:WINRM_PASS", "--path", #"C:\certs\store.p12"#,
                                     "--store_password", "env:STORE_PASS"], extraEnvironment: secrets)
        try #require(added.exitStatus == 0, "tls add: \(added.standardErrorText)")

        let leaf = try pki.issue("web", dnsNames: ["web.example.test"])

        // A crash after writing: the backup is beside the store, as a Windows path
        // (`C:\certs\.store.p12.og-backup-<job>`), and recovery puts the store back.
        let original = try LocalFiles.read(storePath)
        let crashed = try fixture.run(["tls", "install", "win", "--cert", leaf.certificate, "--key", leaf.key,
                                       "--chain", pki.chain, "--alias", "web"],
                                      extraEnvironment: secrets.merging(["OG_FAULT_INJECT": "before-activate"]) { $1 })
        #expect(crashed.exitStatus == 70, "\(crashed.standardErrorText)")
        let beside = try FileManager.default.contentsOfDirectory(atPath: driveRoot + "/certs")
        #expect(beside.contains { $0.hasPrefix(".store.p12.og-backup-") }, "backup beside the store: \(beside)")
        #expect(try LocalFiles.read(storePath) != original, "the crash came after the write")
        let recovered = try fixture.run(["tls", "recover", "win"], extraEnvironment: secrets)
        #expect(recovered.exitStatus == 0, "\(recovered.standardErrorText)")
        #expect(try LocalFiles.read(storePath) == original, "restored from the Windows-path backup")
        #expect(try FileManager.default.contentsOfDirectory(atPath: driveRoot + "/certs") == ["store.p12"])

        let install = try fixture.run(["tls", "install", "win", "--cert", leaf.certificate, "--key", leaf.key,
                                       "--chain", pki.chain, "--alias", "web"], extraEnvironment: secrets)
        #expect(install.exitStatus == 0, "tls install: \(install.standardErrorText)")

        let passwordFile = work.file("storepass")
        try LocalFiles.writeAtomically(passwordFile, contents: Array(storePassword.utf8), mode: 0o600)
        let listing = try ProcessRunner.run("keytool", ["-list", "-keystore", storePath, "-storetype", "PKCS12",
                                                        "-storepass:file", passwordFile])
        #expect(listing.exitStatus == 0, "keytool: \(listing.standardErrorText)")
        #expect(listing.standardOutputText.contains("other,"))
        #expect(listing.standardOutputText.contains("web,"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: driveRoot + "/certs") == ["store.p12"],
                "no temporary or backup file is left beside the keystore")

        // Every SOAP message of the whole job travelled sealed.
        let log = try String(contentsOfFile: work.file("requests.jsonl"), encoding: .utf8)
        let requests = log.split(separator: "\n").filter { $0.contains("\"event\": \"request\"") }
        #expect(!requests.isEmpty)
        #expect(requests.allSatisfy { $0.contains("\"sealed\": true") && $0.contains("\"plaintextEnvelope\": false") })
    }

    /// winrm_https from the CLI verifies the server against the system store plus
    /// the operator's trust anchors: refused until `og-host ca add`, accepted after.
    @Test func winrmHTTPSTrustsTheOperatorsAnchors() throws {
        let work = try TemporaryDirectory("og-winrm-https")
        let driveRoot = work.file("C")
        try FileManager.default.createDirectory(atPath: driveRoot + "/certs", withIntermediateDirectories: true)
        let winrmPassword = "Win-\(UUID().uuidString.prefix(12))"
        let credentials = work.file("credentials")
        try LocalFiles.writeAtomically(credentials, contents: Array("ogtest:\(winrmPassword)".utf8), mode: 0o600)
        let pki = try TestPKI()
        let serverCertificate = try pki.issue("winrm", dnsNames: ["localhost"])
        let chain = try LocalFiles.read(serverCertificate.certificate) + LocalFiles.read(pki.file("int.pem"))
        try LocalFiles.writeAtomically(work.file("server-chain.pem"), contents: chain)
        let port = Loopback.freePort()
        let script = BuiltProducts.repositoryRoot + "/Tests/Fixtures/winrm/winrm_server.py"
        let server = try SpawnedDaemon(try pythonWithWinRMModules(), [script, "--port", String(port), "--credentials", credentials,
                                                                       "--log", work.file("requests.jsonl"),
                                                                       "--cert", work.file("server-chain.pem"),
                                                                       "--key", serverCertificate.key, "--drive-root", driveRoot],
                                       port: port, logPath: work.file("server.log"))
        defer { server.stop() }
        let storePassword = "changeit-\(UInt16.random(in: 1000...9999))"
        let other = try pki.issue("other", dnsNames: ["other.example.test"], key: "rsa")
        let exported = try ProcessRunner.run("openssl", ["pkcs12", "-export", "-in", other.certificate, "-inkey", other.key,
                                                         "-name", "other", "-out", driveRoot + "/certs/store.p12",
                                                         "-passout", "env:OG_P12_PASS"],
                                             environment: EnvironmentVariable.all().merging(["OG_P12_PASS": storePassword]) { $1 })
        try #require(exported.exitStatus == 0, "\(exported.standardErrorText)")

        let fixture = try GatewayFixture(plugins: ["keystore"])
        let secrets = ["STORE_PASS": storePassword, "WINRM_PASS": winrmPassword]
        let arguments = ["tls", "add", "p12", "--name", "winsecure", "--connection_type", "winrm_https",
                         "--host", "localhost", "--port", String(port), "--user", "ogtest", "--password", "env:WINRM_PASS",
                         "--path", #"C:\certs\store.p12"#, "--store_password", "env:STORE_PASS"]
        let refused = try fixture.run(arguments, extraEnvironment: secrets)
        #expect(refused.exitStatus != 0)
        #expect(refused.standardErrorText.lowercased().contains("certificate"), "\(refused.standardErrorText)")

        #expect(try fixture.run(["ca", "add", pki.file("root.pem"), "--name", "test-root"]).exitStatus == 0)
        let added = try fixture.run(arguments, extraEnvironment: secrets)
        #expect(added.exitStatus == 0, "\(added.standardErrorText)")
    }

    /// python3 with pyspnego and pywinrm, installed from PyPI when missing.
    private func pythonWithWinRMModules() throws -> String {
        guard let python = ProcessRunner.findExecutable("python3") else {
            throw SSHFixtureError.setup("python3 is missing: install the Debian package python3")
        }
        if try ProcessRunner.run(python, ["-c", "import spnego"]).exitStatus == 0 { return python }
        let install = try ProcessRunner.run(python, ["-m", "pip", "install", "--quiet", "pyspnego", "pywinrm"], timeout: .seconds(300))
        guard install.exitStatus == 0 else {
            throw SSHFixtureError.setup("the WinRM test server needs the PyPI package pyspnego; `python3 -m pip install "
                                        + "pyspnego pywinrm` failed (Debian package python3-pip provides pip): \(install.standardErrorText)")
        }
        return python
    }
}
