import Foundation
import OGBasics

/// The 256-bit key that seals every local credential store, kept as 32 raw
/// bytes in a file only its owner may read.
struct MasterKey {
    let bytes: Secret
    /// Names the key without revealing it: the first 8 bytes of a SHA-256 over
    /// a label and the key. Stored in each sealed file so a mismatch can be
    /// reported as such, and so an interrupted rotation knows which stores it
    /// has already re-sealed.
    let id: [UInt8]

    init(bytes: Secret) throws {
        self.bytes = bytes
        var labelled = Array("og-host master key id".utf8) + bytes.withUnsafeBytes { Array($0) }
        defer { AESGCM.wipe(&labelled) }
        id = Array(AESGCM.sha256(labelled).prefix(8))
    }

    static func generate() throws -> MasterKey {
        var random = try AESGCM.randomBytes(AESGCM.keyLength)
        defer { AESGCM.wipe(&random) }
        return try MasterKey(bytes: Secret(bytes: random))
    }

    /// The key in `path`, or nil when there is no such file. Refuses a key that
    /// group or others may access, one owned by another user, and one that is
    /// not exactly 32 bytes.
    static func load(from path: String) throws -> MasterKey? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw BasicsError.io(path: path, operation: "stat", reason: String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw CredentialsError.masterKeyInvalid(path: path, problem: "it is not a regular file")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw CredentialsError.masterKeyExposed(path: path, mode: info.st_mode)
        }
        guard info.st_uid == geteuid() else {
            throw CredentialsError.masterKeyWrongOwner(path: path, owner: info.st_uid)
        }
        var contents = try LocalFiles.read(path, limit: .material)
        defer { AESGCM.wipe(&contents) }
        guard contents.count == AESGCM.keyLength else {
            throw CredentialsError.masterKeyInvalid(
                path: path, problem: "it is \(contents.count) bytes long, a master key is \(AESGCM.keyLength)")
        }
        return try MasterKey(bytes: Secret(bytes: contents))
    }

    /// Writes the key to `path` atomically with mode 0600.
    func write(to path: String) throws {
        var contents = bytes.withUnsafeBytes { Array($0) }
        defer { AESGCM.wipe(&contents) }
        try LocalFiles.writeAtomically(path, contents: contents, mode: 0o600)
    }
}
