import Foundation
import OGBasics
import OGTestSupport
import Testing
@testable import OGMaterial

@Suite struct PKCS12StoreTests {
    private func sampleStore(_ hierarchy: Hierarchy) throws -> PKCS12Store {
        try PKCS12Store()
            .upserting(alias: "Web-Server", key: hierarchy.leafKey, chain: hierarchy.chain)
            .upsertingTrustedCertificate(alias: "company-root", certificate: hierarchy.root.certificate)
    }

    @Test func legacyFilesUseTripleDESAndASHA1MAC() throws {
        let directory = try TemporaryDirectory("og-p12")
        let hierarchy = try Hierarchy(leafSpec: .rsa(bits: 2048))
        let path = try directory.write("legacy.p12", sampleStore(hierarchy).encode(password: testPassword, legacy: true))
        let passwordFile = try directory.write("pass", testPassword)
        let info = try Tools.openssl(["pkcs12", "-info", "-nokeys", "-in", path, "-passin", "file:\(passwordFile)"])
        let text = info.standardOutputText + info.standardErrorText
        #expect(text.contains("MAC: sha1"))
        #expect(text.contains("PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC"))
        #expect(text.contains("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC"))
        #expect(!text.contains("PBES2"))
    }

    @Test func modernFilesUsePBES2WithAES256AndASHA256MAC() throws {
        let directory = try TemporaryDirectory("og-p12")
        let hierarchy = try Hierarchy()
        let path = try directory.write("modern.p12", sampleStore(hierarchy).encode(password: testPassword, legacy: false))
        let passwordFile = try directory.write("pass", testPassword)
        let info = try Tools.openssl(["pkcs12", "-info", "-nokeys", "-in", path, "-passin", "file:\(passwordFile)"])
        let text = info.standardOutputText + info.standardErrorText
        #expect(text.contains("MAC: sha256"))
        #expect(text.contains("PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC"))
        #expect(text.contains("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC"))
        #expect(text.contains("Iteration 10000"))
        #expect(!text.contains("TripleDES"))
    }

    @Test(arguments: [true, false])
    func keytoolListsOurEntries(legacy: Bool) throws {
        let directory = try TemporaryDirectory("og-p12")
        let hierarchy = try Hierarchy(leafSpec: .rsa(bits: 3072))
        let path = try directory.write("store.p12", sampleStore(hierarchy).encode(password: testPassword, legacy: legacy))
        let passwordFile = try directory.write("pass", testPassword)
        let listing = try KeytoolListing(path: path, storeType: "PKCS12", passwordFile: passwordFile)
        #expect(listing.entries.count == 2)
        let key = try #require(listing.entries["web-server"])
        #expect(key.type == "PrivateKeyEntry")
        // Java builds chains from every certificate in the file, so the trusted root joins the chain.
        #expect(key.chainLength == 3)
        #expect(key.fingerprints == (hierarchy.chain + [hierarchy.root.certificate]).map { $0.sha256Fingerprint.keytoolFingerprint })
        #expect(key.publicKeyAlgorithms.first == "3072-bit RSA key")
        let trusted = try #require(listing.entries["company-root"])
        #expect(trusted.type == "trustedCertEntry")
        #expect(trusted.fingerprints == [hierarchy.root.certificate.sha256Fingerprint.keytoolFingerprint])
    }

    @Test(arguments: [true, false])
    func decodesWhatWeEncodeKeepingAliasesAndDates(legacy: Bool) throws {
        let hierarchy = try Hierarchy()
        let created = Date(timeIntervalSince1970: 1_700_000_000.5)
        let store = try PKCS12Store().upserting(alias: "Web-Server", key: hierarchy.leafKey, chain: hierarchy.chain,
                                                creationDate: created)
        let decoded = try PKCS12Store.decode(store.encode(password: testPassword, legacy: legacy), password: testPassword)
        #expect(decoded.entries.count == 1)
        let entry = try #require(decoded.entry(alias: "web-server"))
        #expect(entry.alias == "Web-Server")
        #expect(entry.chain == hierarchy.chain)
        #expect(entry.privateKey?.isSameKey(as: hierarchy.leafKey) == true)
        #expect(entry.creationDate == created)
    }

    /// A key that kept the PKCS#8 bytes OpenSSL wrote (a job's key) is shrouded from those bytes: the store
    /// opens with openssl, whose key is the same key in the same PKCS#8 encoding, and with keytool.
    @Test(arguments: [true, false])
    func aKeptPKCS8KeyIsShroudedFromItsBytes(legacy: Bool) throws {
        let directory = try TemporaryDirectory("og-p12")
        let hierarchy = try Hierarchy()
        let der = try hierarchy.leafKey.pkcs8DER()
        let kept = try PrivateKey(pkcs8WrittenByOpenSSL: der)
        let store = try PKCS12Store().upserting(alias: "web", key: kept, chain: hierarchy.chain)
        let path = try directory.write("store.p12", store.encode(password: testPassword, legacy: legacy))
        let decoded = try PKCS12Store.decode(LocalFiles.read(path), password: testPassword)
        #expect(decoded.entry(alias: "web")?.privateKey?.isSameKey(as: hierarchy.leafKey) == true)
        let passwordFile = try directory.write("pass", testPassword)
        let keyOut = try Tools.openssl(["pkcs12", "-in", path, "-passin", "file:\(passwordFile)", "-nocerts", "-nodes"])
        let pem = keyOut.standardOutputText
        let block = try #require(pem.range(of: "-----BEGIN PRIVATE KEY-----").map { String(pem[$0.lowerBound...]) })
        #expect(block == (try hierarchy.leafKey.pkcs8PEM()))
        let info = try Tools.openssl(["pkcs12", "-info", "-nokeys", "-in", path, "-passin", "file:\(passwordFile)"])
        #expect((info.standardOutputText + info.standardErrorText)
            .contains(legacy ? "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC" : "Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC"))
        let listing = try KeytoolListing(path: path, storeType: "PKCS12", passwordFile: passwordFile)
        #expect(listing.entries["web"]?.type == "PrivateKeyEntry")
    }

    @Test func readsStoresMadeByOpenSSLAndKeytool() throws {
        let directory = try TemporaryDirectory("og-p12")
        let passwordFile = try directory.write("pass", testPassword)
        let hierarchy = try Hierarchy()
        try directory.write("key.pem", hierarchy.leafKey.pkcs8PEM())
        try directory.write("chain.pem", hierarchy.chain.map(\.pem).joined())
        try Tools.openssl(["pkcs12", "-export", "-inkey", directory.file("key.pem"), "-in", directory.file("chain.pem"),
                           "-name", "from-openssl", "-passout", "file:\(passwordFile)", "-out", directory.file("openssl.p12")])
        let fromOpenSSL = try PKCS12Store.decode(directory.read("openssl.p12"), password: testPassword)
        #expect(fromOpenSSL.entries.count == 1)
        #expect(fromOpenSSL.entry(alias: "from-openssl")?.chain == hierarchy.chain)

        // A certificates-only file (a truststore) gives trusted-certificate entries.
        try directory.write("root.pem", hierarchy.root.certificate.pem)
        try Tools.openssl(["pkcs12", "-export", "-nokeys", "-in", directory.file("root.pem"),
                           "-passout", "file:\(passwordFile)", "-out", directory.file("trust.p12")])
        let truststore = try PKCS12Store.decode(directory.read("trust.p12"), password: testPassword)
        // openssl names only key entries (-name is ignored with -nokeys), so the alias falls back to the common name.
        #expect(truststore.entries.map(\.alias) == ["Test Root"])
        #expect(truststore.entries.first?.isPrivateKeyEntry == false)
        #expect(truststore.entries.first?.certificate == hierarchy.root.certificate)

        // Old-style file: RC2-40 certificate bags, readable only through the private legacy-provider context.
        try Tools.openssl(["pkcs12", "-export", "-legacy", "-inkey", directory.file("key.pem"), "-in", directory.file("chain.pem"),
                           "-name", "old", "-passout", "file:\(passwordFile)", "-out", directory.file("rc2.p12")])
        let info = try Tools.openssl(["pkcs12", "-info", "-nokeys", "-legacy", "-in", directory.file("rc2.p12"),
                                      "-passin", "file:\(passwordFile)"])
        #expect((info.standardOutputText + info.standardErrorText).contains("RC2"))
        #expect(try PKCS12Store.decode(directory.read("rc2.p12"), password: testPassword).entry(alias: "old")?.chain == hierarchy.chain)

        try Tools.keytool(["-genkeypair", "-alias", "from-keytool", "-dname", "CN=kt", "-keyalg", "EC", "-keystore",
                           directory.file("keytool.p12"), "-storetype", "PKCS12", "-storepass:file", passwordFile])
        let fromKeytool = try PKCS12Store.decode(directory.read("keytool.p12"), password: testPassword)
        let entry = try #require(fromKeytool.entry(alias: "from-keytool"))
        #expect(entry.privateKey?.algorithmDescription == "EC-P384" || entry.privateKey?.algorithmDescription == "EC-P256")
        #expect(entry.certificate?.subject == "CN=kt")
        #expect(entry.creationDate != nil)  // Java's "Time …" localKeyID
    }

    @Test func upsertKeepsTheContentsOfEveryOtherEntry() throws {
        let directory = try TemporaryDirectory("og-p12")
        let passwordFile = try directory.write("pass", testPassword)
        let path = directory.file("store.p12")
        for alias in ["alpha", "beta"] {
            try Tools.keytool(["-genkeypair", "-alias", alias, "-dname", "CN=\(alias)", "-keyalg", "RSA", "-keysize", "2048",
                               "-keystore", path, "-storetype", "PKCS12", "-storepass:file", passwordFile])
        }
        let ca = try Hierarchy()
        let caPath = try directory.write("ca.pem", ca.root.certificate.pem)
        try Tools.keytool(["-importcert", "-noprompt", "-alias", "trusted-ca", "-file", caPath, "-keystore", path,
                           "-storetype", "PKCS12", "-storepass:file", passwordFile])
        let before = try KeytoolListing(path: path, storeType: "PKCS12", passwordFile: passwordFile)
        let store = try PKCS12Store.decode(LocalFiles.read(path), password: testPassword)
        #expect(store.entries.count == 3)
        let alphaKey = try #require(store.entry(alias: "alpha")?.privateKey)

        let updated = try store.upserting(alias: "BETA", key: ca.leafKey, chain: ca.chain)
            .upserting(alias: "gamma", key: ca.leafKey, chain: [ca.leaf])
        try LocalFiles.writeAtomically(path, contents: updated.encode(password: testPassword, legacy: false))
        let after = try KeytoolListing(path: path, storeType: "PKCS12", passwordFile: passwordFile)
        #expect(after.entries.count == 4)
        #expect(after.entries["alpha"] == before.entries["alpha"])
        #expect(after.entries["trusted-ca"] == before.entries["trusted-ca"])
        // The imported root is in the file, so Java extends both chains to it.
        let expected = (ca.chain + [ca.root.certificate]).map { $0.sha256Fingerprint.keytoolFingerprint }
        #expect(after.entries["beta"]?.fingerprints == expected)
        #expect(after.entries["gamma"]?.fingerprints == expected)
        #expect(try reread(path).entry(alias: "gamma")?.chain == ca.chain + [ca.root.certificate])
        let reread = try self.reread(path)
        #expect(reread.entry(alias: "alpha")?.privateKey?.isSameKey(as: alphaKey) == true)
        #expect(reread.entry(alias: "alpha")?.creationDate == store.entry(alias: "alpha")?.creationDate)
    }

    /// Listing and re-encoding need no private key: a paired key stays sealed, and an unchanged
    /// one is written again byte for byte -- only under the scheme and password it is written with.
    @Test(arguments: [true, false])
    func anUnchangedKeyKeepsItsShroudedBagOnlyUnderTheSameSchemeAndPassword(legacy: Bool) throws {
        let kept = try Hierarchy()
        let added = try Hierarchy()
        let original = try PKCS12Store().upserting(alias: "kept", key: kept.leafKey, chain: kept.chain)
            .encode(password: testPassword, legacy: legacy)
        let sealed = try PKCS12Store.decode(original, password: testPassword, keys: .sealedWherePaired)
        let entry = try #require(sealed.entry(alias: "kept"))
        #expect(entry.isPrivateKeyEntry && entry.privateKey == nil)
        #expect(entry.chain == kept.chain)
        let shrouded = try #require(entry.sealedKey?.shrouded)

        let merged = try sealed.upserting(alias: "added", key: added.leafKey, chain: added.chain)
            .encode(password: testPassword, legacy: legacy)
        #expect(contains(merged, shrouded))
        let reread = try PKCS12Store.decode(merged, password: testPassword)
        #expect(reread.entry(alias: "kept")?.privateKey?.isSameKey(as: kept.leafKey) == true)
        #expect(reread.entry(alias: "added")?.privateKey?.isSameKey(as: added.leafKey) == true)

        // The other scheme: the sealed key is decrypted and protected anew.
        let switched = try sealed.encode(password: testPassword, legacy: !legacy)
        #expect(!contains(switched, shrouded))
        #expect(try PKCS12Store.decode(switched, password: testPassword).entry(alias: "kept")?.privateKey?
            .isSameKey(as: kept.leafKey) == true)

        // Another password: never the old bag; a decrypted key is protected under the new one.
        let another = Array("another-password".utf8)
        let rekeyed = try PKCS12Store.decode(original, password: testPassword).encode(password: another, legacy: legacy)
        #expect(!contains(rekeyed, shrouded))
        #expect(try PKCS12Store.decode(rekeyed, password: another).entry(alias: "kept")?.privateKey?.isSameKey(as: kept.leafKey) == true)
        #expect(throws: MaterialError.self) { try sealed.encode(password: another, legacy: legacy) }

        // A changed entry loses its bag: a new chain for the same alias is written with its own key.
        var entries = sealed.entries
        entries[0].kind = .privateKey(added.leafKey, chain: added.chain)
        #expect(entries[0].sealedKey == nil)
    }

    @Test func aKeyUnderFewerIterationsThanOgHostWritesIsProtectedAnew() throws {
        let directory = try TemporaryDirectory("og-p12")
        let passwordFile = try directory.write("pass", testPassword)
        let hierarchy = try Hierarchy()
        try directory.write("key.pem", hierarchy.leafKey.pkcs8PEM())
        try directory.write("chain.pem", hierarchy.chain.map(\.pem).joined())
        try Tools.openssl(["pkcs12", "-export", "-iter", "1000", "-inkey", directory.file("key.pem"), "-in", directory.file("chain.pem"),
                           "-name", "weak", "-passout", "file:\(passwordFile)", "-out", directory.file("weak.p12")])
        let sealed = try PKCS12Store.decode(directory.read("weak.p12"), password: testPassword, keys: .sealedWherePaired)
        let shrouded = try #require(sealed.entry(alias: "weak")?.sealedKey?.shrouded)
        let rewritten = try sealed.encode(password: testPassword, legacy: false)
        #expect(!contains(rewritten, shrouded))
        #expect(try PKCS12Store.decode(rewritten, password: testPassword).entry(alias: "weak")?.privateKey?
            .isSameKey(as: hierarchy.leafKey) == true)
    }

    private func contains(_ bytes: [UInt8], _ part: [UInt8]) -> Bool {
        guard !part.isEmpty, bytes.count >= part.count else { return false }
        return (0...(bytes.count - part.count)).contains { bytes[$0..<($0 + part.count)].elementsEqual(part) }
    }

    private func reread(_ path: String) throws -> PKCS12Store {
        try PKCS12Store.decode(LocalFiles.read(path), password: testPassword)
    }

    @Test func wrongPasswordIsADistinctError() throws {
        let hierarchy = try Hierarchy()
        for legacy in [true, false] {
            let bytes = try sampleStore(hierarchy).encode(password: testPassword, legacy: legacy)
            #expect(throws: MaterialError.wrongKeystorePassword(format: "PKCS#12")) {
                try PKCS12Store.decode(bytes, password: Array("wrong-password".utf8))
            }
        }
    }

    @Test func changedBytesWithTheRightPasswordAreDamageNotAWrongPassword() throws {
        let hierarchy = try Hierarchy()
        let alias = "tamper-target"
        for legacy in [true, false] {
            var bytes = try PKCS12Store().upserting(alias: alias, key: hierarchy.leafKey, chain: hierarchy.chain)
                .encode(password: testPassword, legacy: legacy)
            // The key bag's friendlyName is a BMPString outside any encryption; only the MAC covers it.
            let bmp = alias.utf8.flatMap { [UInt8(0), $0] }
            let at = try #require((0...(bytes.count - bmp.count)).first { Array(bytes[$0..<($0 + bmp.count)]) == bmp })
            bytes[at + 1] ^= 0x01
            #expect { try PKCS12Store.decode(bytes, password: testPassword) } throws: { error in
                guard case MaterialError.damagedKeystore(_, let reason) = error else { return false }
                return reason.contains("was changed after it was written")
            }
            #expect(throws: MaterialError.wrongKeystorePassword(format: "PKCS#12")) {
                try PKCS12Store.decode(bytes, password: Array("wrong-password".utf8))
            }
        }
    }

    @Test func truncatedAndGarbageFilesAreReportedAsDamaged() throws {
        let hierarchy = try Hierarchy()
        let bytes = try sampleStore(hierarchy).encode(password: testPassword, legacy: false)
        for damaged in [Array(bytes.prefix(bytes.count - 40)), Array(bytes.prefix(100)), Array("not a keystore at all".utf8), []] {
            #expect { try PKCS12Store.decode(damaged, password: testPassword) } throws: { error in
                guard case MaterialError.damagedKeystore(let format, let reason) = error else { return false }
                return format == "PKCS#12" && reason.contains("not a PKCS#12 structure")
            }
        }
        let jks = try JKSStore().upserting(alias: "a", key: hierarchy.leafKey, chain: hierarchy.chain).encode(password: testPassword)
        #expect { try PKCS12Store.decode(jks, password: testPassword) } throws: { "\($0)".contains("JKS file, not PKCS#12") }
    }

    @Test func refusesWeakIterationCountsAndEmptyPasswords() throws {
        let store = try sampleStore(Hierarchy())
        #expect { try store.encode(password: testPassword, legacy: false, iterations: 1000) } throws: {
            "\($0)".hasPrefix("iterations: '1000' is not between 2048")
        }
        #expect(throws: MaterialError.self) { try store.encode(password: [], legacy: false) }
    }
}
