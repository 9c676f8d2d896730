import Foundation
import OGBasics
import OGTestSupport
import Testing

/// A PEM endpoint's files may change after `tls add`: an install refuses to
/// overwrite a certificate file that no longer holds PEM (what `tls add pem`
/// refuses), or a key file that holds something other than a PEM private
/// key, and changes nothing.
@Suite struct PEMOverwriteTests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let work: TemporaryDirectory

    init() throws {
        fixture = try GatewayFixture(plugins: ["keystore"])
        pki = try TestPKI()
        work = try TemporaryDirectory("og-pem-overwrite")
    }

    func addAndInstall(replacing file: String, with contents: [UInt8]) throws -> (ProcessOutput, [UInt8], [UInt8]) {
        let certificate = work.file("site.pem"), key = work.file("site.key")
        let old = try pki.issue("old", dnsNames: ["site.example.test"])
        try LocalFiles.writeAtomically(certificate, contents: try LocalFiles.read(old.certificate))
        try LocalFiles.writeAtomically(key, contents: try LocalFiles.read(old.key), mode: 0o600)
        let added = try fixture.run(["tls", "add", "pem", "--name", "site", "--connection_type", "local",
                                     "--path", certificate, "--key_path", key])
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        try LocalFiles.writeAtomically(work.file(file), contents: contents)
        let before = (try LocalFiles.read(certificate), try LocalFiles.read(key))
        let leaf = try pki.issue("new", dnsNames: ["site.example.test"])
        let result = try fixture.run(["tls", "install", "site", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain])
        #expect(try LocalFiles.read(certificate) == before.0, "the certificate file is untouched")
        #expect(try LocalFiles.read(key) == before.1, "the key file is untouched")
        return (result, before.0, before.1)
    }

    @Test func aCertificateFileThatIsNoLongerPEMIsNotOverwritten() throws {
        let (result, _, _) = try addAndInstall(replacing: "site.pem", with: Array("#!/bin/sh\necho precious\n".utf8))
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("holds no PEM certificate"), "\(result.standardErrorText)")
    }

    @Test func aKeyFileThatHoldsNoPrivateKeyIsNotOverwritten() throws {
        let (result, _, _) = try addAndInstall(replacing: "site.key", with: Array("database backup, not a key\n".utf8))
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("--key_path"), "\(result.standardErrorText)")
        #expect(result.standardErrorText.contains("holds no PEM private key"), "\(result.standardErrorText)")
    }
}
