import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Keys generated or imported on the gateway are sealed at rest: no PEM, no
/// DER, not even the public numbers a plaintext key would carry, anywhere
/// under the data directory; each key file opens only for its own certificate.
@Suite struct CertKeyStorageTests {
    let fixture: GatewayFixture
    let authority: CertTestAuthority
    let work: TemporaryDirectory

    init() throws {
        fixture = try GatewayFixture(plugins: ["hello-c"])
        authority = try CertTestAuthority()
        work = try TemporaryDirectory("og-cert-work")
    }

    @Test func generatedKeyIsSealedWithOwnerOnlyPermissions() throws {
        let (id, csrPath) = try fixture.requestCertificate(["--key", "rsa2048", "--cn", "sealed.example.com"], in: work)
        let keyPath = "\(fixture.dataDirectory)/keys/\(id).key"
        var info = stat()
        try #require(stat(keyPath, &info) == 0, "the key file \(keyPath) exists")
        #expect(info.st_mode & 0o777 == 0o600)

        // An RSA private key holds its modulus; were the key stored in any
        // plain form (PEM, PKCS#8, PKCS#1 DER), these bytes would be in the file.
        let modulusHex = try authority.openssl(["req", "-in", csrPath, "-noout", "-modulus"])
            .trimmingCharacters(in: .whitespacesAndNewlines).dropFirst("Modulus=".count)
        let modulus = try #require(Self.bytes(fromHex: String(modulusHex)))
        #expect(modulus.count == 256)

        for (file, contents) in fixture.dataDirectoryContents() {
            #expect(!Self.contains(contents, Array("PRIVATE KEY".utf8)), "\(file) holds a PEM private key")
            #expect(!Self.contains(contents, modulus), "\(file) holds the key's modulus in the clear")
        }
        let asDER = try ProcessRunner.run("openssl", ["pkey", "-inform", "DER", "-in", keyPath, "-noout"])
        #expect(asDER.exitStatus != 0, "openssl cannot read the sealed file as a DER key")
        let asPEM = try ProcessRunner.run("openssl", ["pkey", "-in", keyPath, "-noout"])
        #expect(asPEM.exitStatus != 0, "openssl cannot read the sealed file as a PEM key")

        let shown = try fixture.run(["cert", "show", id, "--output", "json"]).standardOutputText
        #expect(!shown.contains("PRIVATE KEY"), "cert show never prints the key")
    }

    @Test func keyFileCopiedOverAnotherCertificatesIsRefused() throws {
        let first = try fixture.requestCertificate(["--name", "first", "--key", "ec-p256", "--cn", "first.example.com"], in: work)
        let second = try fixture.requestCertificate(["--name", "second", "--key", "ec-p256", "--cn", "second.example.com"], in: work)
        let keys = "\(fixture.dataDirectory)/keys"
        let secondKey = "\(keys)/\(second.id).key"
        let original = try LocalFiles.read(secondKey)
        try LocalFiles.writeAtomically(secondKey, contents: try LocalFiles.read("\(keys)/\(first.id).key"))
        let leaf = try authority.sign(csrPath: second.csrPath)
        _ = try fixture.run(["ca", "add", authority.rootPath])

        let refused = try fixture.run(["cert", "import", "second", "--cert", leaf, "--chain", authority.intermediatePath])
        #expect(refused.exitStatus == 1)
        #expect(refused.standardErrorText.contains("/keys/\(second.id).key: authentication failed"), "\(refused.standardErrorText)")

        try LocalFiles.writeAtomically(secondKey, contents: original)
        let restored = try fixture.run(["cert", "import", "second", "--cert", leaf, "--chain", authority.intermediatePath])
        #expect(restored.exitStatus == 0, "the certificate's own key file opens: \(restored.standardErrorText)")
    }

    @Test func alteredKeyFileIsRefused() throws {
        let (id, csrPath) = try fixture.requestCertificate(["--key", "ec-p256", "--cn", "altered.example.com"], in: work)
        let keyPath = "\(fixture.dataDirectory)/keys/\(id).key"
        var bytes = try LocalFiles.read(keyPath)
        bytes[bytes.count / 2] ^= 0x01
        try LocalFiles.writeAtomically(keyPath, contents: bytes)
        let leaf = try authority.sign(csrPath: csrPath)

        let refused = try fixture.run(["cert", "import", id, "--cert", leaf, "--chain", authority.intermediatePath])
        #expect(refused.exitStatus == 1)
        #expect(refused.standardErrorText.contains("authentication failed: the file was altered"), "\(refused.standardErrorText)")
    }

    @Test func concurrentRequestsOnAFreshGatewayShareOneVaultKey() throws {
        let results = ResultLog()
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            do {
                let result = try fixture.run(["cert", "request", "--name", "c\(index)", "--key", "ec-p256",
                                              "--cn", "c\(index).example.com"])
                results.append(result.exitStatus == 0 ? "ok" : result.standardErrorText)
            } catch {
                results.append("\(error)")
            }
        }
        #expect(results.entries == ["ok", "ok", "ok", "ok"])
        _ = try fixture.run(["ca", "add", authority.rootPath])
        for index in 0..<4 {
            let csr = work.file("c\(index).csr")
            try LocalFiles.writeAtomically(csr, contents: try fixture.run(["cert", "show", "c\(index)", "--pem"]).standardOutput)
            let imported = try fixture.run(["cert", "import", "c\(index)", "--cert", try authority.sign(csrPath: csr),
                                            "--chain", authority.intermediatePath])
            #expect(imported.exitStatus == 0, "every key opens with the one vault key: \(imported.standardErrorText)")
        }
    }

    static func bytes(fromHex hex: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) ?? hex.endIndex
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in
            haystack[start..<(start + needle.count)].elementsEqual(needle)
        }
    }
}

/// Outcomes collected from concurrent work, sorted for comparison.
final class ResultLog: @unchecked Sendable {
    // Guarded by `lock`; appended to from concurrentPerform's threads.
    private var values: [String] = []
    private let lock = Locked()
    func append(_ value: String) { lock.withLock { values.append(value) } }
    var entries: [String] { lock.withLock { values.sorted() } }
}
