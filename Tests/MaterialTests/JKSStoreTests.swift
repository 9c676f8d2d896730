import Foundation
import OGBasics
import OGTestSupport
import Testing
@testable import OGMaterial

@Suite struct JKSStoreTests {
    @Test func keytoolReadsAStoreWeWrote() throws {
        let directory = try TemporaryDirectory("og-jks")
        let rsa = try Hierarchy(leafSpec: .rsa(bits: 2048), leafName: "rsa.example.test")
        let ec = try Hierarchy(leafSpec: .ecdsa(curve: .p256), leafName: "ec.example.test")
        let store = try JKSStore()
            .upserting(alias: "Server-RSA", key: rsa.leafKey, chain: rsa.chain)
            .upserting(alias: "server-ec", key: ec.leafKey, chain: [ec.leaf, ec.intermediate.certificate, ec.root.certificate])
            .upsertingTrustedCertificate(alias: "root", certificate: rsa.root.certificate)
        let path = try directory.write("store.jks", store.encode(password: testPassword))
        let passwordFile = try directory.write("pass", testPassword)

        let listing = try KeytoolListing(path: path, storeType: "JKS", passwordFile: passwordFile)
        #expect(listing.raw.contains("Keystore type: JKS"))
        #expect(listing.raw.contains("Your keystore contains 3 entries"))
        let rsaEntry = try #require(listing.entries["server-rsa"])
        #expect(rsaEntry.type == "PrivateKeyEntry")
        #expect(rsaEntry.chainLength == 2)
        #expect(rsaEntry.fingerprints.first == rsa.leaf.sha256Fingerprint.keytoolFingerprint)
        #expect(rsaEntry.publicKeyAlgorithms.first == "2048-bit RSA key")
        let ecEntry = try #require(listing.entries["server-ec"])
        #expect(ecEntry.chainLength == 3)
        #expect(ecEntry.publicKeyAlgorithms.first == "256-bit EC (secp256r1) key")
        let rootEntry = try #require(listing.entries["root"])
        #expect(rootEntry.type == "trustedCertEntry")
        #expect(rootEntry.fingerprints == [rsa.root.certificate.sha256Fingerprint.keytoolFingerprint])

        // keytool can also take the key out with the store password: our key protection is the real thing.
        try Tools.keytool(["-importkeystore", "-srckeystore", path, "-srcstoretype", "JKS", "-srcstorepass:file", passwordFile,
                           "-destkeystore", directory.file("copy.p12"), "-deststoretype", "PKCS12",
                           "-deststorepass:file", passwordFile, "-srcalias", "server-rsa"])
        try Tools.openssl(["pkcs12", "-in", directory.file("copy.p12"), "-nocerts", "-nodes", "-passin", "file:\(passwordFile)",
                           "-out", directory.file("extracted.pem")])
        let extracted = try PrivateKey(pemBytes: directory.read("extracted.pem"))
        #expect(extracted.isSameKey(as: rsa.leafKey))
    }

    @Test func decodesWhatWeEncode() throws {
        let hierarchy = try Hierarchy()
        let created = Date(timeIntervalSince1970: 1_700_000_000.123)
        let store = try JKSStore().upserting(alias: "Web", key: hierarchy.leafKey, chain: hierarchy.chain, creationDate: created)
        let decoded = try JKSStore.decode(store.encode(password: testPassword), password: testPassword)
        let entry = try #require(decoded.entry(alias: "WEB"))
        #expect(entry.alias == "web")
        #expect(entry.chain == hierarchy.chain)
        #expect(entry.privateKey?.isSameKey(as: hierarchy.leafKey) == true)
        #expect(entry.creationDate == Date(timeIntervalSince1970: 1_700_000_000.123))
    }

    /// A keytool-made JKS with three key entries and a trusted certificate.
    private func keytoolStore(in directory: TemporaryDirectory, passwordFile: String) throws -> String {
        let path = directory.file("keytool.jks")
        for (alias, algorithm) in [("alpha", ["-keyalg", "RSA", "-keysize", "2048"]), ("beta", ["-keyalg", "EC", "-groupname", "secp256r1"]),
                                   ("gamma", ["-keyalg", "RSA", "-keysize", "3072"])] {
            try Tools.keytool(["-genkeypair", "-alias", alias, "-dname", "CN=\(alias).example.test", "-validity", "30",
                               "-keystore", path, "-storetype", "JKS", "-storepass:file", passwordFile,
                               "-keypass:file", passwordFile] + algorithm)
        }
        let ca = try Hierarchy()
        let caPath = try directory.write("ca.pem", ca.root.certificate.pem)
        try Tools.keytool(["-importcert", "-noprompt", "-alias", "trusted-ca", "-file", caPath, "-keystore", path,
                           "-storetype", "JKS", "-storepass:file", passwordFile])
        return path
    }

    @Test func upsertKeepsEveryOtherEntryOfAKeytoolStore() throws {
        let directory = try TemporaryDirectory("og-jks")
        let passwordFile = try directory.write("pass", testPassword)
        let path = try keytoolStore(in: directory, passwordFile: passwordFile)
        let before = try KeytoolListing(path: path, storeType: "JKS", passwordFile: passwordFile)
        let original = try LocalFiles.read(path)
        let store = try JKSStore.decode(original, password: testPassword)
        #expect(Set(store.entries.map(\.alias)) == ["alpha", "beta", "gamma", "trusted-ca"])
        #expect(store.entry(alias: "beta")?.privateKey?.algorithmDescription == "EC-P256")
        #expect(store.entry(alias: "gamma")?.privateKey?.algorithmDescription == "RSA-3072")
        #expect(store.entry(alias: "trusted-ca")?.isPrivateKeyEntry == false)

        let replacement = try Hierarchy(leafName: "beta.example.test")
        let updated = try store
            .upserting(alias: "BETA", key: replacement.leafKey, chain: replacement.chain)
            .upserting(alias: "Delta", key: replacement.leafKey, chain: [replacement.leaf])
        let written = try updated.encode(password: testPassword)
        try LocalFiles.writeAtomically(path, contents: written)
        let after = try KeytoolListing(path: path, storeType: "JKS", passwordFile: passwordFile)

        #expect(after.entries.count == 5)
        for alias in ["alpha", "gamma", "trusted-ca"] {
            #expect(after.entries[alias] == before.entries[alias], "entry \(alias) changed")
        }
        #expect(after.entries["beta"]?.fingerprints.first == replacement.leaf.sha256Fingerprint.keytoolFingerprint)
        #expect(after.entries["beta"]?.chainLength == 2)
        #expect(after.entries["delta"]?.type == "PrivateKeyEntry")

        // Untouched records, protected key bytes and timestamps included, are byte-for-byte what keytool wrote.
        let reread = try JKSStore.decode(written, password: testPassword)
        for alias in ["alpha", "gamma", "trusted-ca"] {
            let old = try #require(store.records.first { $0.alias == alias })
            let new = try #require(reread.records.first { $0.alias == alias })
            #expect(old.original == new.original)
            #expect(old.milliseconds == new.milliseconds)
            if case .privateKey(let oldKey, _, _) = old.body, case .privateKey(let newKey, _, _) = new.body {
                #expect(oldKey != nil && oldKey == newKey)
            }
            #expect(written.containsSubsequence(try #require(old.original)))
        }
    }

    @Test func keepsKeysWithTheirOwnPasswordUntouched() throws {
        let directory = try TemporaryDirectory("og-jks")
        let passwordFile = try directory.write("pass", testPassword)
        let keyPasswordFile = try directory.write("keypass", "another-key-password")
        let path = directory.file("store.jks")
        try Tools.keytool(["-genkeypair", "-alias", "own", "-dname", "CN=own", "-keyalg", "EC", "-keystore", path,
                           "-storetype", "JKS", "-storepass:file", passwordFile, "-keypass:file", keyPasswordFile])
        let store = try JKSStore.decode(LocalFiles.read(path), password: testPassword)
        let entry = try #require(store.entry(alias: "own"))
        #expect(entry.isPrivateKeyEntry && entry.privateKey == nil)
        let hierarchy = try Hierarchy()
        let written = try store.upserting(alias: "new", key: hierarchy.leafKey, chain: hierarchy.chain).encode(password: testPassword)
        let reread = try JKSStore.decode(written, password: testPassword)
        #expect(reread.records.first { $0.alias == "own" }?.original == store.records.first?.original)
        // keytool still opens the untouched key with its own password.
        try LocalFiles.writeAtomically(path, contents: written)
        try Tools.keytool(["-keypasswd", "-alias", "own", "-keystore", path, "-storetype", "JKS", "-storepass:file", passwordFile,
                           "-keypass:file", keyPasswordFile, "-new:file", passwordFile])
        #expect(try JKSStore.decode(LocalFiles.read(path), password: testPassword).entry(alias: "own")?.privateKey != nil)
    }

    @Test func changingTheStorePasswordProtectsKeysWithTheNewOne() throws {
        let hierarchy = try Hierarchy()
        let oldPassword = Array("old-password-1".utf8)
        let original = try JKSStore().upserting(alias: "a", key: hierarchy.leafKey, chain: hierarchy.chain)
            .upsertingTrustedCertificate(alias: "root", certificate: hierarchy.root.certificate)
            .encode(password: oldPassword)
        let reencoded = try JKSStore.decode(original, password: oldPassword).encode(password: testPassword)
        let reread = try JKSStore.decode(reencoded, password: testPassword)
        #expect(reread.entry(alias: "a")?.privateKey?.isSameKey(as: hierarchy.leafKey) == true)
        #expect(reread.entry(alias: "root")?.certificate == hierarchy.root.certificate)
        #expect(throws: MaterialError.wrongKeystorePassword(format: "JKS")) { try JKSStore.decode(reencoded, password: oldPassword) }
    }

    @Test func wrongPasswordIsADistinctError() throws {
        let hierarchy = try Hierarchy()
        let bytes = try JKSStore().upserting(alias: "a", key: hierarchy.leafKey, chain: hierarchy.chain).encode(password: testPassword)
        #expect(throws: MaterialError.wrongKeystorePassword(format: "JKS")) {
            try JKSStore.decode(bytes, password: Array("wrong-password".utf8))
        }
    }

    @Test func changedBytesWithTheRightPasswordAreDamageNotAWrongPassword() throws {
        let hierarchy = try Hierarchy()
        var bytes = try JKSStore().upserting(alias: "a", key: hierarchy.leafKey, chain: hierarchy.chain).encode(password: testPassword)
        // magic, version, count, tag (4 bytes each), alias "a" (2 + 1), then the entry's date: change the date.
        bytes[20] ^= 0x01
        #expect { try JKSStore.decode(bytes, password: testPassword) } throws: { error in
            guard case MaterialError.damagedKeystore(_, let reason) = error else { return false }
            return reason.contains("was changed after it was written")
        }
        #expect(throws: MaterialError.wrongKeystorePassword(format: "JKS")) {
            try JKSStore.decode(bytes, password: Array("wrong-password".utf8))
        }
    }

    @Test func truncatedAndGarbageStoresAreReportedAsDamaged() throws {
        let hierarchy = try Hierarchy()
        let bytes = try JKSStore().upserting(alias: "a", key: hierarchy.leafKey, chain: hierarchy.chain).encode(password: testPassword)
        #expect { try JKSStore.decode(Array(bytes.prefix(bytes.count / 2)), password: testPassword) } throws: { error in
            guard case MaterialError.damagedKeystore(let format, let reason) = error else { return false }
            return format == "JKS" && reason.contains("truncated")
        }
        #expect { try JKSStore.decode(Array("definitely not a keystore".utf8), password: testPassword) } throws: { error in
            guard case MaterialError.damagedKeystore(_, let reason) = error else { return false }
            return reason.contains("0xFEEDFEED")
        }
        #expect { try JKSStore.decode(bytes + [0, 1, 2], password: testPassword) } throws: { error in
            if case MaterialError.damagedKeystore = error { return true }
            return false
        }
        let pkcs12 = try PKCS12Store().upserting(alias: "a", key: hierarchy.leafKey, chain: hierarchy.chain)
            .encode(password: testPassword, legacy: false)
        #expect { try JKSStore.decode(pkcs12, password: testPassword) } throws: { "\($0)".contains("PKCS#12 file, not JKS") }
    }

    /// `.openedUnparsed` (what an install reads the endpoint's store with) opens every key the store
    /// password opens without parsing it: the entries list as key entries, untouched records are
    /// written back byte for byte, and a changed store password protects the opened bytes anew.
    @Test func keysOpenedButNotParsedListAndWriteBackAsParsedOnes() throws {
        let directory = try TemporaryDirectory("og-jks")
        let passwordFile = try directory.write("pass", testPassword)
        let path = try keytoolStore(in: directory, passwordFile: passwordFile)
        let original = try LocalFiles.read(path)
        let parsed = try JKSStore.decode(original, password: testPassword)
        let opened = try JKSStore.decode(original, password: testPassword, keys: .openedUnparsed)
        #expect(opened.entries.map(\.alias) == parsed.entries.map(\.alias))
        #expect(opened.entries.map(\.isPrivateKeyEntry) == parsed.entries.map(\.isPrivateKeyEntry))
        #expect(opened.entries.map(\.chain) == parsed.entries.map(\.chain))
        #expect(opened.entries.allSatisfy { $0.privateKey == nil })
        #expect(parsed.entries.filter(\.isPrivateKeyEntry).allSatisfy { $0.privateKey != nil })
        #expect(try opened.encode(password: testPassword) == original)

        // One entry replaced: every other record is written as keytool wrote it, keys included.
        let replacement = try Hierarchy(leafName: "beta.example.test")
        let written = try opened.upserting(alias: "beta", key: replacement.leafKey, chain: replacement.chain).encode(password: testPassword)
        let reread = try JKSStore.decode(written, password: testPassword)
        for alias in ["alpha", "gamma", "trusted-ca"] {
            #expect(reread.records.first { $0.alias == alias }?.original == parsed.records.first { $0.alias == alias }?.original)
        }
        #expect(reread.entry(alias: "beta")?.privateKey?.isSameKey(as: replacement.leafKey) == true)

        // A new store password: the opened keys are protected with it, and open to it as the same keys.
        let newPassword = Array("new-password-2".utf8)
        let repassworded = try JKSStore.decode(try opened.encode(password: newPassword), password: newPassword)
        for alias in ["alpha", "beta", "gamma"] {
            let key = try #require(repassworded.entry(alias: alias)?.privateKey)
            #expect(key.isSameKey(as: try #require(parsed.entry(alias: alias)?.privateKey)))
        }
        try LocalFiles.writeAtomically(path, contents: try opened.encode(password: newPassword))
        let newPasswordFile = try directory.write("newpass", newPassword)
        #expect(try KeytoolListing(path: path, storeType: "JKS", passwordFile: newPasswordFile).entries.count == 4)
        #expect(throws: MaterialError.wrongKeystorePassword(format: "JKS")) {
            try JKSStore.decode(original, password: Array("wrong-password".utf8), keys: .openedUnparsed)
        }
    }

    /// An opened key is still checked: changed bytes are damage (the password opened a key), and a key
    /// whose check digest matches but which is no PKCS#8 structure is refused as such.
    @Test func keysOpenedButNotParsedAreStillChecked() throws {
        let hierarchy = try Hierarchy()
        var bytes = try JKSStore().upserting(alias: "a", key: hierarchy.leafKey, chain: hierarchy.chain).encode(password: testPassword)
        bytes[20] ^= 0x01
        #expect { try JKSStore.decode(bytes, password: testPassword, keys: .openedUnparsed) } throws: { error in
            guard case MaterialError.damagedKeystore(_, let reason) = error else { return false }
            return reason.contains("was changed after it was written")
        }
        // A key entry whose protected key is garbage under a valid check digest, closed with a valid integrity digest.
        let javaPassword = try KeystorePassword.utf16BigEndian(testPassword)
        var writer = JavaDataWriter()
        writer.uint32(JKSStore.magic)
        writer.uint32(2)
        writer.uint32(1)
        writer.uint32(1)
        try writer.utf("a", field: "alias")
        writer.uint64(0)
        let protected = try JKSKeyProtector.protect(pkcs8: Array("not a key at all".utf8), password: javaPassword)
        writer.uint32(UInt32(protected.count))
        writer.append(protected)
        writer.uint32(1)
        try writer.utf("X.509", field: "type")
        writer.uint32(UInt32(hierarchy.leaf.der.count))
        writer.append(hierarchy.leaf.der)
        writer.append(JKSStore.integrityDigest(writer.bytes, password: javaPassword))
        for keys in [JKSStore.KeyReading.parsed, .openedUnparsed] {
            #expect { try JKSStore.decode(writer.bytes, password: testPassword, keys: keys) } throws: { error in
                guard case MaterialError.damagedKeystore(_, let reason) = error else { return false }
                return reason.contains("decrypts to no usable key")
            }
        }
        #expect(!PrivateKey.isPlainPKCS8(try hierarchy.leafKey.pkcs8DER() + [0]))
        #expect(PrivateKey.isPlainPKCS8(try hierarchy.leafKey.pkcs8DER()))
    }

    @Test func refusesAKeyThatDoesNotMatchItsChain() throws {
        let hierarchy = try Hierarchy()
        #expect(throws: MaterialError.keyMismatch(certificateSubject: "CN=www.example.test")) {
            try JKSStore().upserting(alias: "a", key: hierarchy.intermediate.key, chain: hierarchy.chain)
        }
    }

    @Test func modifiedUTF8ReadsASCIIAsItReadsEveryOtherText() throws {
        for text in ["", "alias", "X.509", "server-rsa.example.test", "a\u{0}b", String((0..<128).map { Character(Unicode.Scalar(UInt8($0))) })] {
            let bytes = Array(text.utf8)
            #expect(try ModifiedUTF8.decode(bytes) == text)
            #expect(try ModifiedUTF8.decode(bytes) == String(decoding: bytes.map(UInt16.init), as: UTF16.self))
        }
        #expect(try ModifiedUTF8.decode(ModifiedUTF8.encode("caf\u{e9}")) == "caf\u{e9}")
        #expect(throws: ModifiedUTF8.Malformed.self) { try ModifiedUTF8.decode([0x61, 0xc3]) }
    }

    @Test func modifiedUTF8MatchesJava() throws {
        let alias = "caf\u{e9}-\u{1F512}-\u{0}"
        let encoded = ModifiedUTF8.encode(alias)
        #expect(encoded == [0x63, 0x61, 0x66, 0xc3, 0xa9, 0x2d, 0xed, 0xa0, 0xbd, 0xed, 0xb4, 0x92, 0x2d, 0xc0, 0x80])
        #expect(try ModifiedUTF8.decode(encoded) == alias)
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        return (0...(count - needle.count)).contains { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
