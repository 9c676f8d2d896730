import COpenSSL
import Foundation

/// A PKCS#12 keystore as a value: decode bytes, change entries, encode bytes.
///
/// A PKCS#12 file is encrypted and MACed as a whole, so it cannot be patched
/// in place: encoding writes every entry anew. Entries that were not changed
/// keep their contents (alias, key, chain, trusted certificates, creation
/// date), not their bytes -- except an unchanged key entry's shrouded key bag,
/// which is written again as read when it is protected by the scheme og-host
/// writes (see `encode`), as Java's `KeyStore` keeps a key's protected bytes. CRL and secret bags are not kept. PKCS#12 records no
/// chains, only certificates: decoding rebuilds each key's chain from the
/// issuers present anywhere in the file, as Java and OpenSSL do.
///
/// Written files follow Java's conventions so keytool and `KeyStore` read them:
/// friendlyName is the alias, localKeyID is "Time <milliseconds>" (Java's
/// creation date), and trusted certificates carry Oracle's trusted-key-usage
/// attribute.
public struct PKCS12Store: Sendable {
    static let format = "PKCS#12"
    /// Oracle's attribute marking a certificate bag as a trusted entry (2.16.840.1.113894.746875.1.1).
    static let javaTrustedKeyUsageOID = "2.16.840.1.113894.746875.1.1"
    static let anyExtendedKeyUsageOID = "2.5.29.37.0"
    static let minimumIterations = 2048

    /// Key entries first, then trusted certificates, in file order.
    public private(set) var entries: [KeystoreEntry]

    /// A store holding `entries` as given (they are checked when encoded).
    public init(entries: [KeystoreEntry] = []) { self.entries = entries }

    /// The entry named `alias` (any case), if present.
    public func entry(alias: String) -> KeystoreEntry? {
        entries.first { KeystoreEntry.sameAlias($0.alias, alias) }
    }

    /// A copy with a private-key entry for `alias` added, or replacing the entry
    /// of that alias (any case); the alias keeps the spelling given here.
    public func upserting(alias: String, key: PrivateKey, chain: [Certificate], creationDate: Date = Date()) throws -> PKCS12Store {
        try KeystoreEntry.validateKeyEntry(alias: alias, key: key, chain: chain)
        return replacing(KeystoreEntry(alias: alias, kind: .privateKey(key, chain: chain), creationDate: creationDate))
    }

    /// A copy with a trusted-certificate entry for `alias` added or replaced.
    public func upsertingTrustedCertificate(alias: String, certificate: Certificate, creationDate: Date = Date()) throws -> PKCS12Store {
        guard !alias.isEmpty else {
            throw MaterialError.invalidField(field: "alias", value: alias, problem: "is empty; name the entry")
        }
        return replacing(KeystoreEntry(alias: alias, kind: .trustedCertificate(certificate), creationDate: creationDate))
    }

    /// A copy without the entry named `alias` (any case).
    public func removing(alias: String) -> PKCS12Store {
        var copy = self
        copy.entries.removeAll { KeystoreEntry.sameAlias($0.alias, alias) }
        return copy
    }

    private func replacing(_ entry: KeystoreEntry) -> PKCS12Store {
        var copy = self
        if let index = copy.entries.firstIndex(where: { KeystoreEntry.sameAlias($0.alias, entry.alias) }) {
            copy.entries[index] = entry
            copy.entries = copy.entries.enumerated()
                .filter { $0.offset == index || !KeystoreEntry.sameAlias($0.element.alias, entry.alias) }.map(\.element)
        } else {
            copy.entries.append(entry)
        }
        return copy
    }

    // MARK: Decoding

    /// What decoding does with shrouded (password-encrypted) key bags.
    public enum KeyReading: Sendable {
        /// Decrypt every key (what a caller that uses the keys needs).
        case decrypted
        /// Leave a key encrypted when its localKeyID pairs it with a certificate:
        /// listing and re-encoding need only its bag, and each decryption costs a
        /// PBKDF2 run at the bag's iteration count. Such entries have no
        /// `privateKey`; `encode` writes their bag again or, when it must
        /// re-protect it, decrypts it then.
        case sealedWherePaired
    }

    /// Reads a PKCS#12 file. A failed MAC is reported as a wrong password; bytes
    /// that are not a PKCS#12 structure as a damaged file.
    public static func decode(_ bytes: [UInt8], password: [UInt8], keys: KeyReading = .decrypted) throws -> PKCS12Store {
        var pass = try KeystorePassword.cString(password)
        defer { KeystorePassword.wipe(&pass) }
        OpenSSLErrorQueue.clear()
        guard let p12 = DEREncoding.decode(bytes, { d2i_PKCS12(nil, $0, $1) }) else {
            let detail = OpenSSLErrorQueue.drain().joined(separator: "; ")
            if bytes.starts(with: [0xfe, 0xed, 0xfe, 0xed]) {
                throw MaterialError.unreadable(what: "PKCS#12 keystore", reason: "it is a JKS file, not PKCS#12; configure the store type as JKS")
            }
            throw MaterialError.damagedKeystore(format: format, reason: "it is not a PKCS#12 structure"
                                                    + (detail.isEmpty ? "" : " (\(detail))"))
        }
        defer { PKCS12_free(p12) }
        do {
            try verifyMAC(p12, pass: pass)
        } catch MaterialError.wrongKeystorePassword(let format) {
            // The MAC covers the whole file, so a changed byte looks like a wrong password.
            // Content this password decrypts proves it right: then the file is damaged.
            if passwordDecryptsContent(p12, pass: pass) {
                throw MaterialError.damagedKeystore(format: format, reason: "its integrity MAC does not match its contents "
                                                        + "although the password decrypts them, so the file was changed "
                                                        + "after it was written")
            }
            throw MaterialError.wrongKeystorePassword(format: format)
        }
        var bags = try unpackBags(p12, pass: pass)
        let tag = SealedKey.tag(password)
        for index in bags.indices {
            guard case .sealedKey(let shrouded) = bags[index].content else { continue }
            let paired = keys == .sealedWherePaired && bags[index].localKeyID.map { id in
                bags.contains { bag in
                    if case .certificate = bag.content { return bag.localKeyID == id }
                    return false
                }
            } == true
            bags[index].sealed = SealedKey(shrouded: shrouded, passwordTag: tag)
            if !paired { bags[index].content = .key(try SealedKey.decrypt(shrouded, pass: pass)) }
        }
        return PKCS12Store(entries: try assemble(bags))
    }

    private static func verifyMAC(_ p12: OpaquePointer, pass: [CChar]) throws {
        guard PKCS12_mac_present(p12) == 1 else { return }
        OpenSSLErrorQueue.clear()
        if PKCS12_verify_mac(p12, pass, Int32(pass.count - 1)) == 1 { return }
        let reasons = OpenSSLErrorQueue.drainReasons()
        // An empty password has two PKCS#12 spellings (no bytes, or a BMP NUL); accept either.
        if pass.count == 1, PKCS12_verify_mac(p12, nil, 0) == 1 { return }
        OpenSSLErrorQueue.clear()
        // A MAC that computes but differs leaves no error behind; one that cannot be computed does.
        if reasons.isEmpty || reasons.contains(where: { $0.reason == PKCS12_R_MAC_VERIFY_FAILURE }) {
            throw MaterialError.wrongKeystorePassword(format: format)
        }
        throw MaterialError.damagedKeystore(format: format, reason: "its integrity MAC cannot be computed "
                                                + "(unsupported MAC algorithm or damaged MAC data)")
    }

    /// Whether `pass` decrypts any encrypted safe or shrouded key of the file. CBC padding
    /// and the DER structure inside make a wrong password fail both with near certainty.
    private static func passwordDecryptsContent(_ p12: OpaquePointer, pass: [CChar]) -> Bool {
        defer { OpenSSLErrorQueue.clear() }
        guard let safes = PKCS12_unpack_authsafes(p12) else { return false }
        defer { og_sk_PKCS7_pop_free(safes) }
        for index in 0..<og_sk_PKCS7_num(safes) {
            guard let safe = og_sk_PKCS7_value(safes, index) else { continue }
            switch og_PKCS7_type_nid(safe) {
            case NID_pkcs7_encrypted:
                if let contents = og_PKCS12_unpack_p7encdata_ex(safe, pass, Int32(pass.count - 1),
                                                                LegacyLibraryContext.shared.context) {
                    og_sk_PKCS12_SAFEBAG_pop_free(contents)
                    return true
                }
            case NID_pkcs7_data:
                guard let contents = PKCS12_unpack_p7data(safe) else { continue }
                defer { og_sk_PKCS12_SAFEBAG_pop_free(contents) }
                for bagIndex in 0..<og_sk_PKCS12_SAFEBAG_num(contents) {
                    guard let bag = og_sk_PKCS12_SAFEBAG_value(contents, bagIndex),
                          PKCS12_SAFEBAG_get_nid(bag) == NID_pkcs8ShroudedKeyBag,
                          let info = PKCS12_decrypt_skey_ex(bag, pass, Int32(pass.count - 1),
                                                            LegacyLibraryContext.shared.context, nil) else { continue }
                    PKCS8_PRIV_KEY_INFO_free(info)
                    return true
                }
            default:
                continue
            }
        }
        return false
    }

    /// A bag as found in the file, with the attributes that tie keys, certificates and aliases together.
    struct Bag {
        enum Content { case key(PrivateKey), sealedKey([UInt8]), certificate(Certificate) }
        var content: Content
        /// A shrouded key bag's encrypted key as read (X509_SIG, DER).
        var sealed: SealedKey? = nil
        var friendlyName: String?
        var localKeyID: [UInt8]?
        var javaTrusted: Bool
    }

    private static func unpackBags(_ p12: OpaquePointer, pass: [CChar]) throws -> [Bag] {
        OpenSSLErrorQueue.clear()
        guard let safes = PKCS12_unpack_authsafes(p12) else {
            throw MaterialError.damagedKeystore(format: format, reason: "its content cannot be unpacked ("
                                                    + OpenSSLErrorQueue.drain().joined(separator: "; ") + ")")
        }
        defer { og_sk_PKCS7_pop_free(safes) }
        var bags: [Bag] = []
        for index in 0..<og_sk_PKCS7_num(safes) {
            guard let safe = og_sk_PKCS7_value(safes, index) else { continue }
            let contents: OpaquePointer?
            switch og_PKCS7_type_nid(safe) {
            case NID_pkcs7_data:
                contents = PKCS12_unpack_p7data(safe)
            case NID_pkcs7_encrypted:
                contents = og_PKCS12_unpack_p7encdata_ex(safe, pass, Int32(pass.count - 1), LegacyLibraryContext.shared.context)
            default:
                throw MaterialError.damagedKeystore(format: format, reason: "it uses public-key (enveloped) protection, "
                                                        + "which og-host does not read")
            }
            guard let contents else {
                throw MaterialError.damagedKeystore(format: format, reason: "a safe cannot be decrypted or parsed ("
                                                        + OpenSSLErrorQueue.drain().joined(separator: "; ") + ")")
            }
            defer { og_sk_PKCS12_SAFEBAG_pop_free(contents) }
            try collect(contents, pass: pass, into: &bags)
        }
        return bags
    }

    private static func collect(_ stack: OpaquePointer, pass: [CChar], into bags: inout [Bag]) throws {
        for index in 0..<og_sk_PKCS12_SAFEBAG_num(stack) {
            guard let bag = og_sk_PKCS12_SAFEBAG_value(stack, index) else { continue }
            let content: Bag.Content
            switch PKCS12_SAFEBAG_get_nid(bag) {
            case NID_pkcs8ShroudedKeyBag:
                // Decrypted (or not) by `decode`, which knows whether a certificate pairs with it.
                guard let shrouded = PKCS12_SAFEBAG_get0_pkcs8(bag),
                      let der = try? DEREncoding.encode("a shrouded key", { i2d_X509_SIG(shrouded, $0) }) else {
                    throw MaterialError.damagedKeystore(format: format, reason: "a private key bag cannot be read ("
                                                            + OpenSSLErrorQueue.drain().joined(separator: "; ") + ")")
                }
                content = .sealedKey(der)
            case NID_keyBag:
                guard let info = PKCS12_SAFEBAG_get0_p8inf(bag) else { continue }
                content = .key(try key(from: info))
            case NID_certBag:
                guard PKCS12_SAFEBAG_get_bag_nid(bag) == NID_x509Certificate, let x509 = PKCS12_SAFEBAG_get1_cert(bag) else {
                    OpenSSLErrorQueue.clear()
                    continue
                }
                content = .certificate(Certificate(taking: x509))
            case NID_safeContentsBag:
                if let nested = PKCS12_SAFEBAG_get0_safes(bag) { try collect(nested, pass: pass, into: &bags) }
                continue
            default:
                continue
            }
            bags.append(Bag(content: content, friendlyName: friendlyName(bag), localKeyID: localKeyID(bag),
                            javaTrusted: hasJavaTrustAttribute(bag)))
        }
    }

    private static func key(from info: OpaquePointer) throws -> PrivateKey {
        guard let key = og_PKCS8_to_pkey(info) else {
            throw MaterialError.damagedKeystore(format: format, reason: "a private key bag holds no usable key ("
                                                    + OpenSSLErrorQueue.drain().joined(separator: "; ") + ")")
        }
        return PrivateKey(taking: key)
    }

    private static func friendlyName(_ bag: OpaquePointer) -> String? {
        guard let name = PKCS12_get_friendlyname(bag) else { return nil }
        defer { og_OPENSSL_free(name) }
        return String(cString: name)
    }

    private static func localKeyID(_ bag: OpaquePointer) -> [UInt8]? {
        guard let value = og_ASN1_TYPE_octet_string(PKCS12_SAFEBAG_get0_attr(bag, NID_localKeyID)) else { return nil }
        return Array(UnsafeBufferPointer(start: ASN1_STRING_get0_data(value), count: Int(ASN1_STRING_length(value))))
    }

    private static func hasJavaTrustAttribute(_ bag: OpaquePointer) -> Bool {
        guard let attributes = PKCS12_SAFEBAG_get0_attrs(bag) else { return false }
        for index in 0..<X509at_get_attr_count(attributes) {
            guard let attribute = X509at_get_attr(attributes, index) else { continue }
            if ObjectIdentifierText.dotted(X509_ATTRIBUTE_get0_object(attribute)) == javaTrustedKeyUsageOID { return true }
        }
        return false
    }

    /// Pairs keys with their certificates and chains, the way OpenSSL and Java do:
    /// by localKeyID, else by public key; chains follow issuers among all certificates.
    static func assemble(_ bags: [Bag]) throws -> [KeystoreEntry] {
        let certificates = bags.compactMap { bag -> (certificate: Certificate, bag: Bag)? in
            if case .certificate(let certificate) = bag.content { return (certificate, bag) }
            return nil
        }
        var used = Set<Int>()
        var entries: [KeystoreEntry] = []
        for bag in bags {
            let key: PrivateKey?
            switch bag.content {
            case .key(let decrypted): key = decrypted
            case .sealedKey: key = nil   // `decode` left it sealed only where a localKeyID pairs it
            case .certificate: continue
            }
            let leafIndex = certificates.indices.first { index in
                if let id = bag.localKeyID, let certificateID = certificates[index].bag.localKeyID { return id == certificateID }
                guard let key else { return false }
                return certificates[index].certificate.matches(privateKey: key)
            }
            guard let leafIndex else {
                throw MaterialError.damagedKeystore(format: format, reason: "private key '\(bag.friendlyName ?? "unnamed")' "
                                                        + "has no certificate")
            }
            used.insert(leafIndex)
            var chain = [certificates[leafIndex].certificate]
            while let last = chain.last, !last.isSelfSigned, chain.count < 10,
                  let issuer = certificates.indices.first(where: { index in
                      !chain.contains(certificates[index].certificate) && last.isIssued(by: certificates[index].certificate)
                  }) {
                used.insert(issuer)
                chain.append(certificates[issuer].certificate)
            }
            let alias = bag.friendlyName ?? certificates[leafIndex].bag.friendlyName ?? "key-\(entries.count + 1)"
            var entry = KeystoreEntry(alias: alias, kind: .privateKey(key, chain: chain),
                                      creationDate: javaCreationDate(bag.localKeyID))
            entry.sealedKey = bag.sealed
            entries.append(entry)
        }
        // Each key entry's chain is written with that entry, so a CA shared by two key entries is in the
        // file twice; a copy of a certificate some chain already holds is not another entry (keeping it
        // as one would add a copy on every rewrite).
        let chained = used.map { certificates[$0].certificate }
        var kept: [Certificate] = []
        for (index, item) in certificates.enumerated() where item.bag.javaTrusted || !used.contains(index) {
            if !item.bag.javaTrusted && (chained.contains(item.certificate) || kept.contains(item.certificate)) { continue }
            kept.append(item.certificate)
            let alias = item.bag.friendlyName ?? item.certificate.commonName ?? "certificate-\(index + 1)"
            entries.append(KeystoreEntry(alias: alias, kind: .trustedCertificate(item.certificate),
                                         creationDate: javaCreationDate(item.bag.localKeyID)))
        }
        return entries
    }

    /// Java writes localKeyID as "Time <milliseconds since 1970>".
    private static func javaCreationDate(_ localKeyID: [UInt8]?) -> Date? {
        guard let localKeyID else { return nil }
        let text = String(decoding: localKeyID, as: UTF8.self)
        guard text.hasPrefix("Time "), let milliseconds = Int64(text.dropFirst(5)) else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
    }

    // MARK: Encoding

    /// Writes every entry. `legacy` = pbeWithSHAAnd3-KeyTripleDES-CBC for key and
    /// certificate bags and a SHA-1 MAC (for Java 8, Windows Server 2016 and
    /// older readers); otherwise PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) and a SHA-256 MAC.
    ///
    /// A key entry read from a file and not changed since keeps its shrouded bag
    /// byte for byte when that bag is protected by the scheme written here, at
    /// no fewer than 2,048 iterations, under this same password: re-encrypting
    /// it would cost a PBKDF2 run and protect it no differently. Otherwise its
    /// key is encrypted anew (decrypted first if it was left sealed).
    public func encode(password: [UInt8], legacy: Bool, iterations: Int = 10_000) throws -> [UInt8] {
        guard !password.isEmpty else {
            throw MaterialError.invalidField(field: "keystore password", value: "", problem: "is empty; PKCS#12 needs a password")
        }
        guard iterations >= PKCS12Store.minimumIterations, iterations <= 10_000_000 else {
            throw MaterialError.invalidField(field: "iterations", value: "\(iterations)",
                                             problem: "is not between \(PKCS12Store.minimumIterations) and 10000000")
        }
        var pass = try KeystorePassword.cString(password)
        defer { KeystorePassword.wipe(&pass) }
        let bagCipher = legacy ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC : NID_aes_256_cbc
        OpenSSLErrorQueue.clear()
        var certificateBags: OpaquePointer?
        var keyBags: OpaquePointer?
        var safes: OpaquePointer?
        defer {
            if let certificateBags { og_sk_PKCS12_SAFEBAG_pop_free(certificateBags) }
            if let keyBags { og_sk_PKCS12_SAFEBAG_pop_free(keyBags) }
            if let safes { og_sk_PKCS7_pop_free(safes) }
        }
        var usedKeyIDs = Set<[UInt8]>()
        for entry in entries {
            switch entry.kind {
            case .privateKey(let readKey, let chain):
                let keyBag: OpaquePointer
                if let sealed = entry.sealedKey, !chain.isEmpty, sealed.passwordTag == SealedKey.tag(password),
                   let kept = sealed.bagIfProtected(by: bagCipher) {
                    keyBag = kept
                    if keyBags == nil { keyBags = og_sk_PKCS12_SAFEBAG_new_null() }
                    guard let keyBags, og_sk_PKCS12_SAFEBAG_push(keyBags, kept) > 0 else {
                        PKCS12_SAFEBAG_free(kept)
                        throw OpenSSLErrorQueue.failure("keeping the private key of '\(entry.alias)'")
                    }
                } else {
                    guard let key = try readKey ?? entry.sealedKey.map({ try SealedKey.decrypt($0.shrouded, pass: pass) }) else {
                        throw MaterialError.invalidField(field: "alias", value: entry.alias,
                                                         problem: "has no private key to write; supply the key")
                    }
                    try KeystoreEntry.validateKeyEntry(alias: entry.alias, key: key, chain: chain)
                    // What PKCS12_add_key_ex does, from the key's PKCS#8 structure (parsed from the bytes it
                    // was read from when OpenSSL wrote them, instead of running the encoder again).
                    let info = try key.pkcs8Info()
                    defer { PKCS8_PRIV_KEY_INFO_free(info) }
                    guard let encrypted = PKCS12_SAFEBAG_create_pkcs8_encrypt_ex(bagCipher, pass, -1, nil, 0, Int32(iterations),
                                                                                 info, nil, nil) else {
                        throw OpenSSLErrorQueue.failure("encrypting the private key of '\(entry.alias)'")
                    }
                    if keyBags == nil { keyBags = og_sk_PKCS12_SAFEBAG_new_null() }
                    guard let keyBags, og_sk_PKCS12_SAFEBAG_push(keyBags, encrypted) > 0 else {
                        PKCS12_SAFEBAG_free(encrypted)
                        throw OpenSSLErrorQueue.failure("encrypting the private key of '\(entry.alias)'")
                    }
                    keyBag = encrypted
                }
                let leaf = chain[0]
                let localKeyID = uniqueLocalKeyID(entry.creationDate ?? Date(), used: &usedKeyIDs)
                let leafBag = try addCertificate(leaf, to: &certificateBags)
                try label(leafBag, alias: entry.alias, localKeyID: localKeyID)
                for certificate in chain.dropFirst() { _ = try addCertificate(certificate, to: &certificateBags) }
                try label(keyBag, alias: entry.alias, localKeyID: localKeyID)
            case .trustedCertificate(let certificate):
                let bag = try addCertificate(certificate, to: &certificateBags)
                try label(bag, alias: entry.alias, localKeyID: nil)
                try markTrustedForJava(bag)
            }
        }
        if let certificateBags,
           PKCS12_add_safe_ex(&safes, certificateBags, bagCipher, Int32(iterations), pass, nil, nil) != 1 {
            throw OpenSSLErrorQueue.failure("encrypting the certificates")
        }
        // Key bags are shrouded one by one, so their safe needs no second layer of encryption.
        if let keyBags, PKCS12_add_safe_ex(&safes, keyBags, -1, Int32(iterations), pass, nil, nil) != 1 {
            throw OpenSSLErrorQueue.failure("packing the private keys")
        }
        if safes == nil { safes = og_sk_PKCS7_new_null() }
        guard let p12 = PKCS12_add_safes_ex(safes, 0, nil, nil) else { throw OpenSSLErrorQueue.failure("assembling the PKCS#12 file") }
        defer { PKCS12_free(p12) }
        guard PKCS12_set_mac(p12, pass, Int32(pass.count - 1), nil, 0, Int32(iterations), legacy ? EVP_sha1() : EVP_sha256()) == 1 else {
            throw OpenSSLErrorQueue.failure("computing the PKCS#12 MAC")
        }
        return try DEREncoding.encode("PKCS#12 keystore") { i2d_PKCS12(p12, $0) }
    }

    private func addCertificate(_ certificate: Certificate, to bags: inout OpaquePointer?) throws -> OpaquePointer {
        guard let bag = PKCS12_add_cert(&bags, certificate.pointer) else {
            throw OpenSSLErrorQueue.failure("adding certificate \(certificate.subject)")
        }
        return bag
    }

    private func label(_ bag: OpaquePointer, alias: String, localKeyID: [UInt8]?) throws {
        guard PKCS12_add_friendlyname_utf8(bag, alias, -1) == 1 else {
            throw OpenSSLErrorQueue.failure("naming entry '\(alias)'")
        }
        if var localKeyID, PKCS12_add_localkeyid(bag, &localKeyID, Int32(localKeyID.count)) != 1 {
            throw OpenSSLErrorQueue.failure("naming entry '\(alias)'")
        }
    }

    private func markTrustedForJava(_ bag: OpaquePointer) throws {
        guard let usage = OBJ_txt2obj(PKCS12Store.anyExtendedKeyUsageOID, 1) else {
            throw OpenSSLErrorQueue.failure("marking a trusted certificate")
        }
        defer { ASN1_OBJECT_free(usage) }
        // With length -1 OpenSSL copies the ASN1_OBJECT itself as the attribute value.
        let added = PKCS12_add1_attr_by_txt(bag, PKCS12Store.javaTrustedKeyUsageOID, V_ASN1_OBJECT,
                                            UnsafeRawPointer(usage).assumingMemoryBound(to: UInt8.self), -1)
        guard added == 1 else { throw OpenSSLErrorQueue.failure("marking a trusted certificate") }
    }

    /// Java's "Time <ms>" key ID, nudged forward a millisecond at a time until unique in this file.
    private func uniqueLocalKeyID(_ date: Date, used: inout Set<[UInt8]>) -> [UInt8] {
        var milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        while true {
            let id = Array("Time \(milliseconds)".utf8)
            if used.insert(id).inserted { return id }
            milliseconds += 1
        }
    }
}

extension PKCS12Store {
    /// A shrouded key bag's encrypted key (X509_SIG, DER) as read, with a tag of
    /// the password that opened the file, so it is written again only under
    /// that password.
    struct SealedKey: Sendable {
        let shrouded: [UInt8]
        let passwordTag: [UInt8]

        /// A per-process salt: the tag tells two passwords apart without being a plain password digest.
        private static let salt: [UInt8] = (try? SecureRandom.bytes(32)) ?? Array(repeating: 0, count: 32)

        static func tag(_ password: [UInt8]) -> [UInt8] { Digest.sha256(salt, password) }

        /// A new key bag holding these bytes when their protection is `cipher`'s
        /// scheme at no fewer than the minimum iterations; nil otherwise.
        func bagIfProtected(by cipher: Int32) -> OpaquePointer? {
            guard let signature = DEREncoding.decode(shrouded, { d2i_X509_SIG(nil, $0, $1) }) else {
                OpenSSLErrorQueue.clear()
                return nil
            }
            guard og_PKCS8_shroud_iterations(signature, cipher) >= PKCS12Store.minimumIterations,
                  let bag = PKCS12_SAFEBAG_create0_pkcs8(signature) else {
                X509_SIG_free(signature)
                return nil
            }
            return bag
        }

        static func decrypt(_ shrouded: [UInt8], pass: [CChar]) throws -> PrivateKey {
            OpenSSLErrorQueue.clear()
            guard let signature = DEREncoding.decode(shrouded, { d2i_X509_SIG(nil, $0, $1) }) else {
                throw MaterialError.damagedKeystore(format: PKCS12Store.format, reason: "a private key bag cannot be read ("
                                                        + OpenSSLErrorQueue.drain().joined(separator: "; ") + ")")
            }
            defer { X509_SIG_free(signature) }
            guard let info = PKCS8_decrypt_ex(signature, pass, Int32(pass.count - 1), LegacyLibraryContext.shared.context, nil) else {
                throw MaterialError.damagedKeystore(format: PKCS12Store.format, reason: "a private key cannot be decrypted ("
                                                        + OpenSSLErrorQueue.drain().joined(separator: "; ") + ")")
            }
            defer { PKCS8_PRIV_KEY_INFO_free(info) }
            guard let key = og_PKCS8_to_pkey(info) else {
                throw MaterialError.damagedKeystore(format: PKCS12Store.format, reason: "a private key bag holds no usable key ("
                                                        + OpenSSLErrorQueue.drain().joined(separator: "; ") + ")")
            }
            return PrivateKey(taking: key)
        }
    }
}
