/// The on-disk form of one local credential store (`<store>.ogcs`):
///
///     "OGCS" | version (1 byte) | master key id (8) | nonce (12) | ciphertext | GCM tag (16)
///
/// The plaintext is the whole store as JSON. The associated data is the
/// header (magic, version, key id) followed by the store's name, so a file
/// copied over another store's file, or with its version byte changed, fails
/// authentication instead of being read as something it is not.
struct SealedStoreFile {
    static let magic = Array("OGCS".utf8)
    static let formatVersion: UInt8 = 1
    private static let headerLength = magic.count + 1 + 8
    private static let minimumLength = headerLength + AESGCM.nonceLength + AESGCM.tagLength

    let keyID: [UInt8]
    let nonce: [UInt8]
    let ciphertext: [UInt8]
    let tag: [UInt8]

    /// Seals `plaintext` for the store `storeName` under `key`, with a fresh random nonce.
    static func seal(_ plaintext: [UInt8], storeName: String, key: MasterKey) throws -> [UInt8] {
        let nonce = try AESGCM.randomBytes(AESGCM.nonceLength)
        let header = header(keyID: key.id)
        let sealed = try AESGCM.seal(plaintext, key: key.bytes, nonce: nonce,
                                     associatedData: header + Array(storeName.utf8))
        return header + nonce + sealed.ciphertext + sealed.tag
    }

    /// Splits `bytes` read from `path` into its parts, checking magic and version.
    init(parsing bytes: [UInt8], path: String) throws {
        guard bytes.count >= Self.minimumLength, Array(bytes.prefix(Self.magic.count)) == Self.magic else {
            throw CredentialsError.notAStoreFile(path: path, problem: "it does not start with the OGCS header")
        }
        let version = bytes[Self.magic.count]
        guard version == Self.formatVersion else {
            throw CredentialsError.unsupportedFormatVersion(path: path, version: version)
        }
        var offset = Self.magic.count + 1
        keyID = Array(bytes[offset..<offset + 8])
        offset += 8
        nonce = Array(bytes[offset..<offset + AESGCM.nonceLength])
        offset += AESGCM.nonceLength
        ciphertext = Array(bytes[offset..<bytes.count - AESGCM.tagLength])
        tag = Array(bytes.suffix(AESGCM.tagLength))
    }

    /// The plaintext, or nil when authentication fails.
    func open(storeName: String, key: MasterKey) throws -> [UInt8]? {
        try AESGCM.open(ciphertext, tag: tag, key: key.bytes, nonce: nonce,
                        associatedData: Self.header(keyID: keyID) + Array(storeName.utf8))
    }

    private static func header(keyID: [UInt8]) -> [UInt8] {
        magic + [formatVersion] + keyID
    }
}
