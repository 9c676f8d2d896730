import OGTestSupport
import Testing
@testable import OGMaterial

@Suite struct PEMBundleTests {
    @Test func roundTripsKeyLeafAndChain() throws {
        let hierarchy = try Hierarchy()
        let bundle = PEMBundle(privateKey: hierarchy.leafKey, certificates: hierarchy.chain)
        let text = try bundle.encode()
        #expect(text.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let decoded = try PEMBundle.decode(Array(text.utf8))
        #expect(decoded.privateKey?.isSameKey(as: hierarchy.leafKey) == true)
        #expect(decoded.leaf == hierarchy.leaf)
        #expect(decoded.chain == [hierarchy.intermediate.certificate])
    }

    @Test func putsTheCertificateMatchingTheKeyFirst() throws {
        let hierarchy = try Hierarchy()
        let text = hierarchy.intermediate.certificate.pem + (try hierarchy.leafKey.pkcs8PEM()) + hierarchy.leaf.pem
        let decoded = try PEMBundle.decode(Array(text.utf8))
        #expect(decoded.certificates == hierarchy.chain)
    }

    @Test func encryptsTheKeyWhenAskedAndNeedsThePassphraseBack() throws {
        let directory = try TemporaryDirectory("og-pem")
        let hierarchy = try Hierarchy()
        let text = try PEMBundle(privateKey: hierarchy.leafKey, certificates: hierarchy.chain).encode(keyPassphrase: testPassword)
        #expect(text.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        #expect(try PEMBundle.decode(Array(text.utf8), passphrase: testPassword).privateKey?.isSameKey(as: hierarchy.leafKey) == true)
        #expect { try PEMBundle.decode(Array(text.utf8)) } throws: { error in
            if case MaterialError.passphraseRequired = error { return true }
            return false
        }
        // OpenSSL reads the same file: key and leaf agree.
        let path = try directory.write("bundle.pem", text)
        let passwordFile = try directory.write("pass", testPassword)
        let keyModulus = try Tools.openssl(["pkey", "-in", path, "-passin", "file:\(passwordFile)", "-pubout"]).standardOutputText
        let certificateKey = try Tools.openssl(["x509", "-in", path, "-noout", "-pubkey"]).standardOutputText
        #expect(keyModulus == certificateKey)
    }

    @Test func rejectsMismatchedKeysAndStrayBlocks() throws {
        let hierarchy = try Hierarchy()
        let otherKey = try PrivateKey.generate(.ecdsa(curve: .p256))
        #expect(throws: MaterialError.keyMismatch(certificateSubject: "CN=www.example.test")) {
            try PEMBundle.decode(Array((try otherKey.pkcs8PEM() + hierarchy.leaf.pem).utf8))
        }
        let twoKeys = try otherKey.pkcs8PEM() + hierarchy.leafKey.pkcs8PEM()
        #expect { try PEMBundle.decode(Array(twoKeys.utf8)) } throws: { "\($0)".contains("second private key") }
        let request = try CertificateSigningRequest.make(key: otherKey, subject: CertificateSubject(commonName: "x"), sans: [])
        #expect { try PEMBundle.decode(Array((hierarchy.leaf.pem + request.pem).utf8)) } throws: {
            "\($0)".contains("'CERTIFICATE REQUEST' block is neither")
        }
    }
}
