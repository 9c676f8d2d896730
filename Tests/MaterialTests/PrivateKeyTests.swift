import COpenSSL
import OGTestSupport
import Testing
@testable import OGMaterial

@Suite struct KeySpecTests {
    @Test(arguments: [("rsa2048", KeySpec.rsa(bits: 2048)), ("RSA-3072", .rsa(bits: 3072)), ("rsa_4096", .rsa(bits: 4096)),
                      ("ec-p256", .ecdsa(curve: .p256)), ("ecdsa-p384", .ecdsa(curve: .p384)), ("P256", .ecdsa(curve: .p256)),
                      ("prime256v1", .ecdsa(curve: .p256)), ("ec-secp384r1", .ecdsa(curve: .p384))])
    func parsesCommonSpellings(text: String, expected: KeySpec) throws {
        #expect(try KeySpec(parsing: text) == expected)
    }

    @Test(arguments: ["rsa1024", "rsa", "ec-p521", "dsa2048", ""])
    func rejectsUnsupportedSpecsNamingTheField(text: String) {
        #expect { try KeySpec(parsing: text, field: "--key-type") } throws: { error in
            let message = "\(error)"
            return message.hasPrefix("--key-type: '\(text)' is not a supported key type") && message.contains("rsa2048")
        }
    }

    @Test func descriptionRoundTripsThroughParsing() throws {
        for spec in KeySpec.supported { #expect(try KeySpec(parsing: spec.description) == spec) }
    }
}

@Suite struct PrivateKeyTests {
    @Test(arguments: [(KeySpec.rsa(bits: 2048), "RSA-2048"), (.rsa(bits: 3072), "RSA-3072"),
                      (.ecdsa(curve: .p256), "EC-P256"), (.ecdsa(curve: .p384), "EC-P384")])
    func generatesEachSpec(spec: KeySpec, description: String) throws {
        let key = try PrivateKey.generate(spec)
        #expect(key.algorithmDescription == description)
        #expect(key.spec == spec)
    }

    @Test func generatesRSA4096() throws {
        #expect(try PrivateKey.generate(.rsa(bits: 4096)).algorithmDescription == "RSA-4096")
    }

    @Test func refusesToGenerateWeakRSA() {
        #expect(throws: MaterialError.self) { try PrivateKey.generate(.rsa(bits: 1024)) }
    }

    @Test func unencryptedPKCS8RoundTripsAndOpenSSLReadsIt() throws {
        let directory = try TemporaryDirectory("og-key")
        let key = try PrivateKey.generate(.ecdsa(curve: .p256))
        let pem = try key.pkcs8PEM()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let reread = try PrivateKey(pem: pem)
        #expect(reread.isSameKey(as: key))
        let path = try directory.write("key.pem", pem)
        let publicFromOpenSSL = try Tools.openssl(["pkey", "-in", path, "-pubout", "-outform", "DER"]).standardOutput
        #expect(publicFromOpenSSL == key.publicKeyDER)
    }

    /// Plain PKCS#8 is decoded for the algorithm its structure names (og_PKCS8_to_pkey), with OpenSSL's
    /// every-type decoding as the fallback: each key type reads as the same key OpenSSL itself reads.
    @Test(arguments: [["RSA", "-pkeyopt", "rsa_keygen_bits:2048"], ["RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
                      ["EC", "-pkeyopt", "ec_paramgen_curve:P-384"], ["ED25519"], ["ED448"]])
    func plainPKCS8OfEachKeyTypeReadsAsOpenSSLReadsIt(algorithm: [String]) throws {
        let directory = try TemporaryDirectory("og-key")
        try Tools.openssl(["genpkey", "-algorithm"] + algorithm + ["-out", directory.file("key.pem")])
        try Tools.openssl(["pkcs8", "-topk8", "-nocrypt", "-in", directory.file("key.pem"), "-outform", "DER",
                           "-out", directory.file("key.der")])
        let publicFromOpenSSL = try Tools.openssl(["pkey", "-in", directory.file("key.pem"), "-pubout", "-outform", "DER"]).standardOutput
        let pem = try directory.read("key.pem")
        #expect(String(decoding: pem, as: UTF8.self).hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let fromPEM = try PrivateKey(pemBytes: pem)
        #expect(fromPEM.publicKeyDER == publicFromOpenSSL)
        #expect(try PrivateKey(der: directory.read("key.der")).isSameKey(as: fromPEM))
    }

    /// A job's key arrives as the PKCS#8 DER the parent's pkcs8DER() wrote and keeps those bytes
    /// (`init(pkcs8WrittenByOpenSSL:)`): writing it again, as DER or PEM, gives exactly what OpenSSL's
    /// encoder gives for the same key, for each key type.
    @Test(arguments: [["RSA", "-pkeyopt", "rsa_keygen_bits:2048"], ["RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
                      ["EC", "-pkeyopt", "ec_paramgen_curve:P-256"], ["ED25519"], ["ED448"]])
    func keptPKCS8WritesWhatOpenSSLsEncoderWrites(algorithm: [String]) throws {
        let directory = try TemporaryDirectory("og-key")
        try Tools.openssl(["genpkey", "-algorithm"] + algorithm + ["-out", directory.file("key.pem")])
        let original = try PrivateKey(pemBytes: directory.read("key.pem"))
        let der = try original.pkcs8DER()
        let kept = try PrivateKey(pkcs8WrittenByOpenSSL: der, what: "the job's key")
        #expect(kept.isSameKey(as: original))
        #expect(try kept.pkcs8DER() == der)
        #expect(try kept.pkcs8PEM() == original.pkcs8PEM())
        let info = try kept.pkcs8Info()
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        #expect(try DEREncoding.encode("PKCS#8") { i2d_PKCS8_PRIV_KEY_INFO(info, $0) } == der)
        // Encrypted PEM still goes through OpenSSL's encoder and decrypts to the same key.
        let encrypted = try kept.pkcs8PEM(encryptedWith: Array("pass phrase".utf8))
        #expect(try PrivateKey(pem: encrypted, passphrase: Array("pass phrase".utf8)).isSameKey(as: original))
    }

    @Test func keptPKCS8RefusesAnythingButOneWholePlainStructure() throws {
        let key = try PrivateKey.generate(.ecdsa(curve: .p256))
        let der = try key.pkcs8DER()
        for bytes in [der + [0x00], [], Array(der.dropLast()), [0x30, 0x03, 0x02, 0x01, 0x00]] {
            #expect { try PrivateKey(pkcs8WrittenByOpenSSL: bytes, what: "the job's key") } throws: { error in
                guard case MaterialError.unreadable(let what, _) = error else { return false }
                return what == "the job's key"
            }
        }
        let directory = try TemporaryDirectory("og-key")
        let encrypted = try directory.write("key.pem", key.pkcs8PEM(encryptedWith: Array("secret".utf8)))
        let encryptedDER = try Tools.openssl(["pkcs8", "-in", encrypted, "-passin", "pass:secret", "-topk8", "-v2", "aes-256-cbc",
                                              "-passout", "pass:secret", "-outform", "DER"]).standardOutput
        #expect(throws: MaterialError.self) { try PrivateKey(pkcs8WrittenByOpenSSL: encryptedDER) }
    }

    @Test func encryptedPKCS8UsesAES256AndOpenSSLDecryptsIt() throws {
        let directory = try TemporaryDirectory("og-key")
        let key = try PrivateKey.generate(.rsa(bits: 2048))
        let pem = try key.pkcs8PEM(encryptedWith: testPassword)
        #expect(pem.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        let keyPath = try directory.write("key.pem", pem)
        let passPath = try directory.write("pass", testPassword)
        let parsed = try Tools.openssl(["asn1parse", "-in", keyPath]).standardOutputText
        #expect(parsed.contains("PBES2") && parsed.contains("PBKDF2") && parsed.contains("aes-256-cbc")
            && parsed.contains("hmacWithSHA256"))
        let publicFromOpenSSL = try Tools.openssl(["pkey", "-in", keyPath, "-passin", "file:\(passPath)", "-pubout",
                                                   "-outform", "DER"]).standardOutput
        #expect(publicFromOpenSSL == key.publicKeyDER)
        #expect(try PrivateKey(pem: pem, passphrase: testPassword).isSameKey(as: key))
    }

    @Test func wrongPassphraseIsADistinctError() throws {
        let pem = try PrivateKey.generate(.ecdsa(curve: .p256)).pkcs8PEM(encryptedWith: testPassword)
        #expect(throws: MaterialError.wrongPassphrase(what: "private key")) {
            try PrivateKey(pem: pem, passphrase: Array("not-the-passphrase".utf8))
        }
        #expect(throws: MaterialError.passphraseRequired(what: "private key")) { try PrivateKey(pem: pem) }
    }

    @Test func importsPKCS1AndSEC1AndTraditionallyEncryptedKeysFromOpenSSL() throws {
        let directory = try TemporaryDirectory("og-key")
        let passPath = try directory.write("pass", testPassword)
        try Tools.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", directory.file("p8.pem")])
        try Tools.openssl(["rsa", "-in", directory.file("p8.pem"), "-traditional", "-out", directory.file("pkcs1.pem")])
        try Tools.openssl(["rsa", "-in", directory.file("p8.pem"), "-traditional", "-aes256", "-passout", "file:\(passPath)",
                           "-out", directory.file("pkcs1-enc.pem")])
        try Tools.openssl(["ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", directory.file("sec1.pem")])
        try Tools.openssl(["pkcs8", "-topk8", "-in", directory.file("sec1.pem"), "-v2", "aes256", "-passout",
                           "file:\(passPath)", "-out", directory.file("sec1-p8-enc.pem")])
        try Tools.openssl(["pkcs8", "-topk8", "-in", directory.file("sec1.pem"), "-v2", "aes256", "-passout",
                           "file:\(passPath)", "-outform", "DER", "-out", directory.file("sec1-p8-enc.der")])

        let pkcs1 = try directory.read("pkcs1.pem")
        #expect(String(decoding: pkcs1, as: UTF8.self).hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        let rsa = try PrivateKey(pemBytes: pkcs1)
        #expect(rsa.algorithmDescription == "RSA-2048")
        #expect(try PrivateKey(pemBytes: directory.read("pkcs1-enc.pem"), passphrase: testPassword).isSameKey(as: rsa))
        #expect(throws: MaterialError.wrongPassphrase(what: "private key")) {
            try PrivateKey(pemBytes: directory.read("pkcs1-enc.pem"), passphrase: Array("wrong".utf8))
        }

        let sec1 = try directory.read("sec1.pem")
        #expect(String(decoding: sec1, as: UTF8.self).hasPrefix("-----BEGIN EC PRIVATE KEY-----"))
        let ec = try PrivateKey(pemBytes: sec1)
        #expect(ec.algorithmDescription == "EC-P384")
        #expect(try PrivateKey(pemBytes: directory.read("sec1-p8-enc.pem"), passphrase: testPassword).isSameKey(as: ec))
        #expect(try PrivateKey(der: directory.read("sec1-p8-enc.der"), passphrase: testPassword).isSameKey(as: ec))
        #expect(throws: MaterialError.wrongPassphrase(what: "private key")) {
            try PrivateKey(der: directory.read("sec1-p8-enc.der"), passphrase: Array("wrong".utf8))
        }
    }

    @Test func findsTheKeyAmongCertificates() throws {
        let hierarchy = try Hierarchy()
        let text = hierarchy.leaf.pem + (try hierarchy.leafKey.pkcs8PEM()) + hierarchy.intermediate.certificate.pem
        #expect(try PrivateKey(pem: text).isSameKey(as: hierarchy.leafKey))
        #expect { try PrivateKey(pem: hierarchy.leaf.pem) } throws: { "\($0)".contains("expected a PEM block 'PRIVATE KEY'") }
    }

    @Test func derExportRoundTrips() throws {
        let key = try PrivateKey.generate(.ecdsa(curve: .p384))
        let der = try key.pkcs8DER()
        #expect(der.first == 0x30)
        #expect(try PrivateKey(der: der).isSameKey(as: key))
    }

    @Test func garbageIsUnreadableNotAPassphraseProblem() {
        #expect { try PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") } throws: { error in
            guard case MaterialError.unreadable(let what, _) = error else { return false }
            return what == "private key"
        }
        #expect { try PrivateKey(der: [0x30, 0x03, 0x02, 0x01, 0x00]) } throws: { error in
            if case MaterialError.unreadable = error { return true }
            return false
        }
    }
}
