import Foundation

/// A Sun JKS keystore as a value: decode bytes, change entries, encode bytes.
///
/// Layout: magic 0xFEEDFEED, version 2, entry count, then per entry a tag
/// (1 = private key, 2 = trusted certificate), alias (Java modified UTF-8),
/// creation time in milliseconds, and the protected key with its chain or the
/// certificate; last, SHA-1(password as UTF-16BE ‖ "Mighty Aphrodite" ‖ all
/// preceding bytes) guards the whole file.
///
/// Entries that are not replaced are written back byte for byte as they were
/// read (protected key, chain, alias spelling and timestamp), so updating one
/// alias never disturbs the others. Aliases match without regard to case;
/// new aliases are stored lowercased, as keytool does.
public struct JKSStore: Sendable {
    static let format = "JKS"
    static let magic: UInt32 = 0xFEED_FEED
    static let integritySalt = Array("Mighty Aphrodite".utf8)

    struct Record: Sendable {
        enum Body: Sendable {
            /// `protected` is the stored EncryptedPrivateKeyInfo; nil for a key added since decoding.
            case privateKey(protected: [UInt8]?, key: PrivateKey?, chain: [Certificate])
            case trustedCertificate(Certificate)
        }
        var alias: String
        var milliseconds: UInt64
        var body: Body
        /// The record exactly as read, reused on encode while the record is untouched.
        var original: [UInt8]?
        /// A key entry read with `KeyReading.openedUnparsed` whose key the store password opened: its
        /// plain PKCS#8, checked but not parsed into a key (`body`'s key is then nil). Kept to protect
        /// it again should the store password change.
        var opened: OpenedKey?

        /// Whether the store password opened this entry's key (parsed or not).
        var keyOpened: Bool {
            if case .privateKey(_, let key, _) = body { return key != nil || opened != nil }
            return false
        }
    }

    /// What decoding does with the keys the store password opens.
    public enum KeyReading: Sendable {
        /// Parse each into a `PrivateKey` (what a caller that uses the keys needs).
        case parsed
        /// Open each (decrypt it and match its check digest, which proves the password) and check
        /// that it is one PKCS#8 PrivateKeyInfo, but do not parse it into a key: listing and
        /// re-encoding need no key, and OpenSSL's key decoding costs ~2 M instructions a key. Such
        /// entries have no `privateKey`, as keys with a password of their own; `encode` writes
        /// them again as read or, when the store password changed, protects the opened bytes anew.
        case openedUnparsed
    }

    /// The plain PKCS#8 of an opened key, wiped when the last copy of the record goes.
    final class OpenedKey: @unchecked Sendable {
        // Never modified after init but by the wipe in deinit.
        private(set) var pkcs8: [UInt8]
        init(_ pkcs8: [UInt8]) { self.pkcs8 = pkcs8 }
        deinit { SecureMemory.wipe(&pkcs8) }
    }

    private(set) var records: [Record]

    /// An empty keystore.
    public init() { records = [] }

    /// Every entry, in file order.
    public var entries: [KeystoreEntry] {
        records.map { record in
            let date = Date(timeIntervalSince1970: TimeInterval(record.milliseconds) / 1000)
            switch record.body {
            case .privateKey(_, let key, let chain):
                return KeystoreEntry(alias: record.alias, kind: .privateKey(key, chain: chain), creationDate: date)
            case .trustedCertificate(let certificate):
                return KeystoreEntry(alias: record.alias, kind: .trustedCertificate(certificate), creationDate: date)
            }
        }
    }

    /// The entry named `alias` (any case), if present.
    public func entry(alias: String) -> KeystoreEntry? {
        entries.first { KeystoreEntry.sameAlias($0.alias, alias) }
    }

    /// Reads a JKS file. Keys protected with the store password are decrypted (and parsed, unless
    /// `keys` is `.openedUnparsed`); others are kept protected (their entry's key is nil) and
    /// written back unchanged.
    public static func decode(_ bytes: [UInt8], password: [UInt8], keys: KeyReading = .parsed) throws -> JKSStore {
        var javaPassword = try KeystorePassword.utf16BigEndian(password)
        defer { KeystorePassword.wipe(&javaPassword) }
        var reader = JavaDataReader(bytes)
        var store = JKSStore()
        do {
            let magic = try reader.uint32("the file header")
            guard magic == JKSStore.magic else { throw notJKS(magic: magic, bytes: bytes) }
            let version = try reader.uint32("the format version")
            guard version == 1 || version == 2 else {
                throw MaterialError.damagedKeystore(format: format, reason: "format version \(version) is unknown (expected 2)")
            }
            let count = try reader.uint32("the entry count")
            for index in 0..<count {
                let start = reader.offset
                var record = try readRecord(&reader, version: version, index: Int(index), password: javaPassword, keys: keys)
                if version == 2 { record.original = Array(bytes[start..<reader.offset]) }
                store.records.append(record)
            }
            let digestStart = reader.offset
            let digest = try reader.read(20, "the integrity digest")
            guard reader.remaining == 0 else {
                throw MaterialError.damagedKeystore(format: format, reason: "\(reader.remaining) unexpected bytes follow the integrity digest")
            }
            guard Array(digest) == integrityDigest(Array(bytes[0..<digestStart]), password: javaPassword) else {
                // A key that this password opens proves the password right (each key carries its own
                // check digest), so a failed integrity digest then means the bytes were changed.
                if store.records.contains(where: \.keyOpened) {
                    throw MaterialError.damagedKeystore(format: format, reason: "its integrity digest does not match its "
                                                            + "contents although the password opens its keys, so the file "
                                                            + "was changed after it was written")
                }
                throw MaterialError.wrongKeystorePassword(format: format)
            }
        } catch let truncated as JavaDataReader.Truncated {
            throw MaterialError.damagedKeystore(format: format, reason: "it ends at byte \(truncated.offset) while reading "
                                                    + "\(truncated.what); the file is truncated")
        } catch is ModifiedUTF8.Malformed {
            throw MaterialError.damagedKeystore(format: format, reason: "an alias is not valid modified UTF-8")
        }
        return store
    }

    /// Writes the store, protecting new keys and closing it with `password`.
    public func encode(password: [UInt8]) throws -> [UInt8] {
        guard !password.isEmpty else {
            throw MaterialError.invalidField(field: "keystore password", value: "", problem: "is empty; JKS needs a password")
        }
        var javaPassword = try KeystorePassword.utf16BigEndian(password)
        defer { KeystorePassword.wipe(&javaPassword) }
        var writer = JavaDataWriter()
        writer.uint32(JKSStore.magic)
        writer.uint32(2)
        writer.uint32(UInt32(records.count))
        for record in records {
            if let original = record.original, try record.canReuseOriginal(password: javaPassword) {
                writer.append(original)
            } else {
                try JKSStore.write(record, to: &writer, password: javaPassword)
            }
        }
        writer.append(JKSStore.integrityDigest(writer.bytes, password: javaPassword))
        return writer.bytes
    }

    /// A copy with a private-key entry for `alias` added, or replacing the
    /// entry of that alias (any case). Every other entry is kept as it was.
    public func upserting(alias: String, key: PrivateKey, chain: [Certificate], creationDate: Date = Date()) throws -> JKSStore {
        try KeystoreEntry.validateKeyEntry(alias: alias, key: key, chain: chain)
        return replacing(alias: alias, with: Record(alias: alias.lowercased(), milliseconds: JKSStore.milliseconds(creationDate),
                                                    body: .privateKey(protected: nil, key: key, chain: chain), original: nil))
    }

    /// A copy with a trusted-certificate entry for `alias` added or replaced.
    public func upsertingTrustedCertificate(alias: String, certificate: Certificate, creationDate: Date = Date()) throws -> JKSStore {
        guard !alias.isEmpty else {
            throw MaterialError.invalidField(field: "alias", value: alias, problem: "is empty; name the entry")
        }
        return replacing(alias: alias, with: Record(alias: alias.lowercased(), milliseconds: JKSStore.milliseconds(creationDate),
                                                    body: .trustedCertificate(certificate), original: nil))
    }

    /// A copy without the entry named `alias` (any case).
    public func removing(alias: String) -> JKSStore {
        var copy = self
        copy.records.removeAll { KeystoreEntry.sameAlias($0.alias, alias) }
        return copy
    }

    private func replacing(alias: String, with record: Record) -> JKSStore {
        var copy = self
        if let index = copy.records.firstIndex(where: { KeystoreEntry.sameAlias($0.alias, alias) }) {
            copy.records[index] = record
            copy.records.removeAll { KeystoreEntry.sameAlias($0.alias, alias) && $0.original != nil }
        } else {
            copy.records.append(record)
        }
        return copy
    }

    private static func milliseconds(_ date: Date) -> UInt64 {
        UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded(.down)))
    }

    static func integrityDigest(_ data: [UInt8], password: [UInt8]) -> [UInt8] {
        Digest.sha1(password, integritySalt, data)
    }

    private static func notJKS(magic: UInt32, bytes: [UInt8]) -> MaterialError {
        if magic == 0xCECE_CECE {
            return .unreadable(what: "JKS keystore", reason: "it is a JCEKS keystore, which og-host does not read; convert it "
                                   + "with keytool -importkeystore -deststoretype pkcs12")
        }
        if bytes.first == 0x30 {
            return .unreadable(what: "JKS keystore", reason: "it is a PKCS#12 file, not JKS; configure the store type as PKCS12")
        }
        return .damagedKeystore(format: format, reason: "it does not start with the JKS magic number 0xFEEDFEED")
    }

    private static func readRecord(_ reader: inout JavaDataReader, version: UInt32, index: Int,
                                   password: [UInt8], keys: KeyReading) throws -> Record {
        let tag = try reader.uint32("the type of entry \(index + 1)")
        let alias = try reader.utf("the alias of entry \(index + 1)")
        let milliseconds = try reader.uint64("the date of entry '\(alias)'")
        switch tag {
        case 1:
            let length = try reader.uint32("the key of entry '\(alias)'")
            let protected = Array(try reader.read(Int(length), "the key of entry '\(alias)'"))
            let chainLength = try reader.uint32("the chain length of entry '\(alias)'")
            var chain: [Certificate] = []
            for position in 0..<chainLength {
                chain.append(try readCertificate(&reader, version: version,
                                                 what: "certificate \(position + 1) of entry '\(alias)'"))
            }
            switch keys {
            case .parsed:
                let key = try recoverKey(protected, password: password, alias: alias)
                return Record(alias: alias, milliseconds: milliseconds,
                              body: .privateKey(protected: protected, key: key, chain: chain), original: nil)
            case .openedUnparsed:
                let opened = try openKey(protected, password: password, alias: alias)
                return Record(alias: alias, milliseconds: milliseconds,
                              body: .privateKey(protected: protected, key: nil, chain: chain), original: nil, opened: opened)
            }
        case 2:
            let certificate = try readCertificate(&reader, version: version, what: "the certificate of entry '\(alias)'")
            return Record(alias: alias, milliseconds: milliseconds, body: .trustedCertificate(certificate), original: nil)
        default:
            throw MaterialError.damagedKeystore(format: format, reason: "entry '\(alias)' has unknown type \(tag) "
                                                    + "(secret-key entries exist only in JCEKS)")
        }
    }

    private static func readCertificate(_ reader: inout JavaDataReader, version: UInt32, what: String) throws -> Certificate {
        if version == 2 {
            let type = try reader.utf("the type of \(what)")
            guard type == "X.509" else {
                throw MaterialError.damagedKeystore(format: format, reason: "\(what) has type '\(type)'; only X.509 is supported")
            }
        }
        let length = try reader.uint32(what)
        let der = Array(try reader.read(Int(length), what))
        do {
            return try Certificate(der: der, what: what)
        } catch {
            throw MaterialError.damagedKeystore(format: format, reason: "\(what) cannot be parsed")
        }
    }

    /// The key's plain PKCS#8 bytes when the store password opens it; nil when the key has a password of its own.
    private static func decryptKey(_ protected: [UInt8], password: [UInt8], alias: String) throws -> [UInt8]? {
        do {
            return try JKSKeyProtector.recover(protected, password: password)
        } catch {
            throw MaterialError.damagedKeystore(format: format, reason: "the key of entry '\(alias)': \(error)")
        }
    }

    /// The opened key when the store password opens it, checked to be one unencrypted PKCS#8
    /// PrivateKeyInfo (not parsed into a key); nil when the key has a password of its own.
    private static func openKey(_ protected: [UInt8], password: [UInt8], alias: String) throws -> OpenedKey? {
        guard let plain = try decryptKey(protected, password: password, alias: alias) else { return nil }
        let opened = OpenedKey(plain)
        guard PrivateKey.isPlainPKCS8(opened.pkcs8) else {
            throw MaterialError.damagedKeystore(format: format, reason: "the key of entry '\(alias)' decrypts to no usable key")
        }
        return opened
    }

    /// The key when the store password opens it; nil when the key has a password of its own.
    private static func recoverKey(_ protected: [UInt8], password: [UInt8], alias: String) throws -> PrivateKey? {
        guard var plain = try decryptKey(protected, password: password, alias: alias) else { return nil }
        defer { SecureMemory.wipe(&plain) }
        do {
            return try PrivateKey(der: plain, what: "key of JKS entry '\(alias)'")
        } catch {
            throw MaterialError.damagedKeystore(format: format, reason: "the key of entry '\(alias)' decrypts to no usable key")
        }
    }

    private static func write(_ record: Record, to writer: inout JavaDataWriter, password: [UInt8]) throws {
        switch record.body {
        case .privateKey(let protected, let key, let chain):
            writer.uint32(1)
            try writer.utf(record.alias, field: "alias")
            writer.uint64(record.milliseconds)
            let keyBytes: [UInt8]
            let reprotect = try protected.map({ try JKSKeyProtector.recover($0, password: password) == nil }) ?? true
            if let key, reprotect {
                keyBytes = try JKSKeyProtector.protect(pkcs8: key.pkcs8DER(), password: password)
            } else if let opened = record.opened, reprotect {
                keyBytes = try JKSKeyProtector.protect(pkcs8: opened.pkcs8, password: password)
            } else if let protected {
                keyBytes = protected
            } else {
                throw MaterialError.invalidField(field: "alias", value: record.alias, problem: "has no key to write")
            }
            writer.uint32(UInt32(keyBytes.count))
            writer.append(keyBytes)
            writer.uint32(UInt32(chain.count))
            for certificate in chain { try writeCertificate(certificate, to: &writer) }
        case .trustedCertificate(let certificate):
            writer.uint32(2)
            try writer.utf(record.alias, field: "alias")
            writer.uint64(record.milliseconds)
            try writeCertificate(certificate, to: &writer)
        }
    }

    private static func writeCertificate(_ certificate: Certificate, to writer: inout JavaDataWriter) throws {
        try writer.utf("X.509", field: "certificate type")
        let der = certificate.der
        writer.uint32(UInt32(der.count))
        writer.append(der)
    }
}

extension JKSStore.Record {
    /// An untouched record is copied verbatim unless its key was opened with the
    /// old store password and the new password no longer opens it: then the key
    /// is protected again, so the store password keeps opening every key.
    func canReuseOriginal(password: [UInt8]) throws -> Bool {
        guard case .privateKey(let protected?, _, _) = body, keyOpened else { return true }
        return try JKSKeyProtector.recover(protected, password: password) != nil
    }
}
