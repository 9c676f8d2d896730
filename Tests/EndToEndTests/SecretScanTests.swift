import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Secrets never reach a log line, an error message or plaintext on disk,
/// with logging turned all the way up (issue 9): installs that succeed and
/// installs that fail run with --verbose, in text and JSON, and standard
/// output, standard error, every file of the data directory (inventory, WAL,
/// sealed keys, credential stores) and the keystore endpoint's directory are
/// searched for the store password, the key's passphrase, a wrong passphrase
/// that was tried, and the private key itself (each base64 line of its PEM
/// and its DER).
@Suite struct SecretScanTests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let work: TemporaryDirectory
    let storePassword = "store-7c1e-\(UInt32.random(in: 100_000...999_999))"
    let keyPassphrase = "keypass-4a9d-\(UInt32.random(in: 100_000...999_999))"
    let wrongPassphrase = "wrongpass-0b3f-\(UInt32.random(in: 100_000...999_999))"

    init() throws {
        fixture = try GatewayFixture(plugins: ["keystore", "nginx"])
        pki = try TestPKI()
        work = try TemporaryDirectory("og-secret-scan")
    }

    func openssl(_ arguments: [String]) throws -> ProcessOutput {
        let output = try ProcessRunner.run("openssl", arguments, environment: EnvironmentVariable.all().merging(
            ["SCAN_STORE": storePassword, "SCAN_KEY": keyPassphrase]) { $1 })
        try #require(output.exitStatus == 0, "openssl \(arguments.prefix(2)): \(output.standardErrorText)")
        return output
    }

    /// What must appear nowhere: the passwords and the key as PEM lines and as DER.
    func secrets(keyFile: String) throws -> [(name: String, bytes: [UInt8])] {
        let pem = try LocalFiles.read(keyFile)
        let lines = String(decoding: pem, as: UTF8.self).split(separator: "\n")
            .filter { !$0.hasPrefix("-----") && $0.count >= 40 }
        let der = try openssl(["pkey", "-in", keyFile, "-outform", "DER"]).standardOutput
        try #require(!lines.isEmpty && der.count > 60)
        return [("store password", Array(storePassword.utf8)), ("key passphrase", Array(keyPassphrase.utf8)),
                ("wrong passphrase", Array(wrongPassphrase.utf8)), ("key DER", der)]
            + lines.enumerated().map { ("key PEM line \($0.offset + 1)", Array($0.element.utf8)) }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        let first = needle[0]
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == first, haystack[index..<index + needle.count].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }

    func scan(_ places: [(String, [UInt8])], for secrets: [(name: String, bytes: [UInt8])]) {
        for (place, bytes) in places {
            for secret in secrets where Self.find(secret.bytes, in: bytes) {
                Issue.record("\(secret.name) found in \(place)")
            }
        }
    }

    func files(under directory: String, except skipped: Set<String>) -> [(String, [UInt8])] {
        let names = (try? FileManager.default.subpathsOfDirectory(atPath: directory)) ?? []
        return names.filter { !skipped.contains($0) }.compactMap { name in
            let path = "\(directory)/\(name)"
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
            return (path, (try? LocalFiles.read(path, limit: .document)) ?? [])
        }
    }

    @Test func verboseKeystoreInstallsImportsAndFailuresLeakNothing() throws {
        // The endpoint: a PKCS#12 holding one entry, and the material: an encrypted key.
        let seed = try pki.issue("seed", dnsNames: ["seed.example.test"])
        let store = work.file("store.p12")
        _ = try openssl(["pkcs12", "-export", "-in", seed.certificate, "-inkey", seed.key, "-name", "seed", "-out", store,
                         "-passout", "env:SCAN_STORE"])
        let leaf = try pki.issue("web", dnsNames: ["web.example.test"])
        let encryptedKey = work.file("web-encrypted.key")
        _ = try openssl(["pkey", "-in", leaf.key, "-aes256", "-passout", "env:SCAN_KEY", "-out", encryptedKey])
        let secrets = try secrets(keyFile: leaf.key)
        let environment = ["STORE": storePassword, "KEYPASS": keyPassphrase, "WRONG": wrongPassphrase]
        var outputs: [(String, [UInt8])] = []
        func run(_ label: String, _ arguments: [String], expectSuccess: Bool) throws {
            let output = try fixture.run(arguments, extraEnvironment: environment)
            #expect((output.exitStatus == 0) == expectSuccess, "\(label): \(output.standardErrorText)")
            outputs += [("\(label) stdout", output.standardOutput), ("\(label) stderr", output.standardError)]
        }

        try run("tls add", ["--verbose", "tls", "add", "p12", "--name", "ks", "--connection_type", "local", "--path", store,
                            "--store_password", "env:STORE"], expectSuccess: true)
        for format in ["text", "json"] {
            try run("install (\(format))", ["--verbose", "--log-format", format, "tls", "install", "ks", "--cert", leaf.certificate,
                                            "--key", encryptedKey, "--key-password", "env:KEYPASS", "--chain", pki.chain,
                                            "--alias", "web-\(format)"], expectSuccess: true)
        }
        try run("install, wrong passphrase", ["--verbose", "tls", "install", "ks", "--cert", leaf.certificate, "--key", encryptedKey,
                                              "--key-password", "env:WRONG", "--chain", pki.chain], expectSuccess: false)
        try run("install, passphrase in argv", ["--verbose", "tls", "install", "ks", "--cert", leaf.certificate, "--key", encryptedKey,
                                                "--key-password", wrongPassphrase, "--chain", pki.chain], expectSuccess: false)
        let refusedLiteral = outputs.last.map { String(decoding: $0.1, as: UTF8.self) } ?? ""
        #expect(refusedLiteral.contains("--key-password: give - to read it from standard input or env:NAME"), "\(refusedLiteral)")
        outputs.removeAll { $0.0.hasPrefix("install, passphrase in argv") && $0.0.hasSuffix("stdout") }
        // The vault path: the key sealed under <data>/keys, installed by ID, then dumped to the audit trail.
        try run("cert import", ["--verbose", "cert", "import", "--cert", leaf.certificate, "--key", encryptedKey,
                                "--key-password", "env:KEYPASS", "--chain", pki.chain, "--name", "web"], expectSuccess: true)
        try run("install by id", ["--verbose", "--log-format", "json", "tls", "install", "ks", "--cert-id", "web",
                                  "--alias", "web-vault"], expectSuccess: true)
        try run("audit", ["audit", "--output", "json", "--limit", "1000"], expectSuccess: true)

        // The literal passphrase was refused before anything read it; its own stderr may quote nothing of it either.
        scan(outputs, for: secrets)
        scan(fixture.dataDirectoryContents().map { ("data directory: \($0.key)", $0.value) }, for: secrets)
        // The endpoint's directory holds the store (keys encrypted inside) and no backup or temporary copy.
        let endpointFiles = files(under: work.path, except: ["web-encrypted.key"])
        #expect(endpointFiles.map(\.0) == [store], "only the store is left beside it: \(endpointFiles.map(\.0))")
        scan(endpointFiles, for: secrets)
        let keytool = try ProcessRunner.run("keytool", ["-list", "-keystore", store, "-storetype", "PKCS12", "-storepass:env", "SCAN_STORE"],
                                            environment: EnvironmentVariable.all().merging(["SCAN_STORE": storePassword]) { $1 })
        #expect(keytool.exitStatus == 0, "\(keytool.standardErrorText)")
        for alias in ["seed", "web-text", "web-json", "web-vault"] {
            #expect(keytool.standardOutputText.contains("\(alias),"), "\(alias) in \(keytool.standardOutputText)")
        }
    }

    @Test func verboseNginxInstallLeaksNeitherPassphraseNorKey() throws {
        let nginx = try NginxTestInstance(pki: pki)
        try nginx.start()
        let added = try fixture.run(["tls", "add", "nginx", "--name", "web"] + nginx.localOptions)
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        let leaf = try pki.issue("beta", dnsNames: ["beta.example.test"])
        let encryptedKey = work.file("beta-encrypted.key")
        _ = try openssl(["pkey", "-in", leaf.key, "-aes256", "-passout", "env:SCAN_KEY", "-out", encryptedKey])
        let secrets = try secrets(keyFile: leaf.key)
        var outputs: [(String, [UInt8])] = []
        for format in ["text", "json"] {
            let output = try fixture.run(["--verbose", "--log-format", format, "tls", "install", "web", "--cert", leaf.certificate,
                                          "--key", encryptedKey, "--key-password", "env:KEYPASS", "--chain", pki.chain],
                                         extraEnvironment: ["KEYPASS": keyPassphrase])
            #expect(output.exitStatus == 0, "\(output.standardErrorText)")
            #expect(output.standardErrorText.contains("debug"), "verbose logs were written: \(output.standardErrorText)")
            outputs += [("\(format) stdout", output.standardOutput), ("\(format) stderr", output.standardError)]
        }
        scan(outputs, for: secrets)
        scan(fixture.dataDirectoryContents().map { ("data directory: \($0.key)", $0.value) }, for: secrets)
        // nginx's own directory holds the new key file (that is the install); its logs must not.
        scan(files(under: nginx.path + "/logs", except: []), for: secrets)
    }
}
