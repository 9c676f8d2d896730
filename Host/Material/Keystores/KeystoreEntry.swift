import Foundation

/// One entry of a keystore (PKCS#12 or JKS), independent of the file format.
public struct KeystoreEntry: Sendable {
    public enum Kind: Sendable {
        /// A private key and its certificate chain, leaf first. The key is nil
        /// when the store holds it under a password other than the store password.
        case privateKey(PrivateKey?, chain: [Certificate])
        /// A certificate trusted on its own, with no key (a CA in a truststore).
        case trustedCertificate(Certificate)
    }

    /// The entry's name: PKCS#12 friendlyName, JKS alias.
    public var alias: String
    public var kind: Kind {
        didSet { sealedKey = nil }   // a kept key bag belongs to the key and chain it was read with
    }
    /// When the entry was made, if the format records it (JKS always; PKCS#12 when Java's "Time" key ID is present).
    public var creationDate: Date?
    /// A PKCS#12 key entry's shrouded key bag as read from its file, written again byte for byte while the
    /// entry is unchanged (see `PKCS12Store.encode`); entries a caller builds have none.
    var sealedKey: PKCS12Store.SealedKey?

    /// An entry as a caller builds it; stores validate it when it is upserted.
    public init(alias: String, kind: Kind, creationDate: Date? = nil) {
        self.alias = alias
        self.kind = kind
        self.creationDate = creationDate
    }

    /// The leaf of a key entry, or the trusted certificate.
    public var certificate: Certificate? {
        switch kind {
        case .privateKey(_, let chain): return chain.first
        case .trustedCertificate(let certificate): return certificate
        }
    }

    /// The whole chain of a key entry (leaf first), or the trusted certificate alone.
    public var chain: [Certificate] {
        switch kind {
        case .privateKey(_, let chain): return chain
        case .trustedCertificate(let certificate): return [certificate]
        }
    }

    /// The private key of a key entry, when it could be read.
    public var privateKey: PrivateKey? {
        if case .privateKey(let key, _) = kind { return key }
        return nil
    }

    /// True for key entries, also those whose key could not be read.
    public var isPrivateKeyEntry: Bool {
        if case .privateKey = kind { return true }
        return false
    }

    /// Keystores compare aliases without regard to case (Java lowercases them in JKS and matches PKCS#12 that way too).
    static func sameAlias(_ first: String, _ second: String) -> Bool {
        first.lowercased() == second.lowercased()
    }

    /// Checks what every key entry needs before it is written: an alias, a chain, and a key that matches its leaf.
    static func validateKeyEntry(alias: String, key: PrivateKey, chain: [Certificate]) throws {
        guard !alias.isEmpty else {
            throw MaterialError.invalidField(field: "alias", value: alias, problem: "is empty; name the entry")
        }
        guard let leaf = chain.first else {
            throw MaterialError.invalidField(field: "chain", value: "", problem: "is empty; give at least the leaf certificate")
        }
        guard leaf.matches(privateKey: key) else { throw MaterialError.keyMismatch(certificateSubject: leaf.subject) }
    }
}
