import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `og-host cert import --cert --key`: a certificate whose key was made
/// elsewhere, encrypted or not, is validated like an issued one and its key
/// stored sealed; its passphrase never goes through argv.
@Suite struct CertBringYourOwnTests {
    let fixture: GatewayFixture
    let authority: CertTestAuthority

    init() throws {
        fixture = try GatewayFixture(plugins: ["hello-c"])
        authority = try CertTestAuthority()
        _ = try fixture.run(["ca", "add", authority.rootPath])
    }

    @Test func encryptedKeyIsImportedWithItsPassphraseFromStandardInputAndStoredSealed() throws {
        let external = try authority.externalKeyAndRequest(commonName: "byo.example.com", passphrase: "correct horse")
        let leaf = try authority.sign(csrPath: external.csr)

        let imported = try fixture.run(["cert", "import", "--name", "byo", "--cert", leaf, "--key", external.key,
                                        "--key-password", "-", "--chain", authority.intermediatePath],
                                       standardInput: Array("correct horse\n".utf8))
        #expect(imported.exitStatus == 0, "\(imported.standardErrorText)")
        let details = try fixture.certificateDetails("byo")
        #expect(details["status"] as? String == "issued")
        #expect(details["origin"] as? String == "imported")
        #expect(details["key_spec"] as? String == "rsa2048")
        let id = try #require(details["id"] as? String)
        #expect(FileManager.default.fileExists(atPath: "\(fixture.dataDirectory)/keys/\(id).key"))

        let keyDER = try Self.plainDER(ofKey: external.key, passphrase: "correct horse")
        for (file, contents) in fixture.dataDirectoryContents() {
            #expect(!CertKeyStorageTests.contains(contents, Array("PRIVATE KEY".utf8)), "\(file) holds a PEM key")
            #expect(!CertKeyStorageTests.contains(contents, Array(keyDER.suffix(128))), "\(file) holds the key's DER")
            #expect(!CertKeyStorageTests.contains(contents, Array("correct horse".utf8)), "\(file) holds the passphrase")
        }
        let audit = try fixture.auditTrail()
        #expect(audit.contains { $0.action == "cert.import" && $0.subject == "byo" && $0.outcome == "success" })
        #expect(!audit.contains { $0.detail.contains("correct horse") })
    }

    @Test func passphraseComesFromANamedEnvironmentVariable() throws {
        let external = try authority.externalKeyAndRequest(commonName: "env.example.com", passphrase: "from-env")
        let leaf = try authority.sign(csrPath: external.csr)
        let imported = try fixture.run(["cert", "import", "--cert", leaf, "--key", external.key, "--key-password", "env:BYO_PASS",
                                        "--chain", authority.intermediatePath], extraEnvironment: ["BYO_PASS": "from-env"])
        #expect(imported.exitStatus == 0, "\(imported.standardErrorText)")
        #expect(try fixture.certificateList().count == 1)
    }

    @Test func unencryptedKeyWithAFullchainFileIsImported() throws {
        let external = try authority.externalKeyAndRequest(commonName: "plain.example.com")
        let leaf = try authority.sign(csrPath: external.csr)
        let fullchain = authority.directory.file("plain-fullchain.pem")
        try LocalFiles.writeAtomically(fullchain, contents: try LocalFiles.read(leaf) + (try LocalFiles.read(authority.intermediatePath)))

        let imported = try fixture.run(["cert", "import", "--name", "plain", "--cert", fullchain, "--key", external.key])
        #expect(imported.exitStatus == 0, "\(imported.standardErrorText)")
        #expect(try fixture.certificateDetails("plain")["chain"] as? [String] == ["CN=\(authority.intermediateName)"])
    }

    @Test func encryptedKeyWithoutOrWithAWrongPassphraseIsRefusedAndNothingIsStored() throws {
        let external = try authority.externalKeyAndRequest(commonName: "locked.example.com", passphrase: "right")
        let leaf = try authority.sign(csrPath: external.csr)
        let base = ["cert", "import", "--name", "locked", "--cert", leaf, "--key", external.key, "--chain", authority.intermediatePath]

        let missing = try fixture.run(base)
        #expect(missing.exitStatus == 2)
        #expect(missing.standardErrorText.contains("--key: \(external.key): is encrypted; give its passphrase with --key-password -"))

        let wrong = try fixture.run(base + ["--key-password", "-"], standardInput: Array("wrong\n".utf8))
        #expect(wrong.exitStatus == 2)
        #expect(wrong.standardErrorText.contains("--key-password: does not decrypt \(external.key)"))

        let literal = try fixture.run(base + ["--key-password", "right"])
        #expect(literal.exitStatus == 2)
        #expect(literal.standardErrorText.contains("--key-password: give - to read it from standard input or env:NAME"))

        let unset = try fixture.run(base + ["--key-password", "env:OG_TEST_UNSET_VARIABLE"])
        #expect(unset.exitStatus == 2)
        #expect(unset.standardErrorText.contains("environment variable OG_TEST_UNSET_VARIABLE is not set"))

        #expect(try fixture.certificateList().isEmpty)
        let keys = (try? FileManager.default.contentsOfDirectory(atPath: "\(fixture.dataDirectory)/keys")) ?? []
        #expect(keys.isEmpty, "no key file was written: \(keys)")
    }

    @Test func keyThatDoesNotMatchTheCertificateIsRefused() throws {
        let certified = try authority.externalKeyAndRequest(commonName: "one.example.com")
        let other = try authority.externalKeyAndRequest(commonName: "two.example.com")
        let leaf = try authority.sign(csrPath: certified.csr)

        let refused = try fixture.run(["cert", "import", "--cert", leaf, "--key", other.key, "--chain", authority.intermediatePath])
        #expect(refused.exitStatus == 2)
        #expect(refused.standardErrorText.contains("--cert: \(leaf): the certificate (CN=one.example.com"))
        #expect(refused.standardErrorText.contains("is not for the key in \(other.key)"))
        #expect(try fixture.certificateList().isEmpty)
    }

    @Test func sameCertificateCannotBeManagedTwice() throws {
        let external = try authority.externalKeyAndRequest(commonName: "twice.example.com")
        let leaf = try authority.sign(csrPath: external.csr)
        let arguments = ["cert", "import", "--cert", leaf, "--key", external.key, "--chain", authority.intermediatePath]
        #expect(try fixture.run(arguments + ["--name", "twice"]).exitStatus == 0)

        let refused = try fixture.run(arguments + ["--name", "again"])
        #expect(refused.exitStatus == 4, "conflict")
        #expect(refused.standardErrorText.contains("is already managed as 'twice'"), "\(refused.standardErrorText)")
        #expect(try fixture.certificateList().count == 1)
    }

    /// The key as unencrypted PKCS#8 DER, as openssl decodes it.
    static func plainDER(ofKey path: String, passphrase: String) throws -> [UInt8] {
        let output = try ProcessRunner.run("openssl", ["pkey", "-in", path, "-passin", "env:OG_TEST_KEY_PASS", "-outform", "DER"],
                                           environment: EnvironmentVariable.all().merging(["OG_TEST_KEY_PASS": passphrase]) { $1 })
        try #require(output.exitStatus == 0, "openssl pkey: \(output.standardErrorText)")
        return output.standardOutput
    }
}
