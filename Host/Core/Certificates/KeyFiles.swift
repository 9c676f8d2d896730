import Foundation
import OGBasics
import OGCredentials
import OGInventory
import OGMaterial

/// The private keys of managed certificates, one sealed file each under
/// `<data>/keys/<certificate id>.key` (mode 0600). Plaintext key bytes exist
/// only in memory, and are wiped once sealed or parsed.
struct KeyFiles {
    let directory: String
    let credentials: LocalCredentialDirectory

    init(gateway: Gateway) {
        directory = gateway.dataDirectory.keysPath
        credentials = gateway.credentialDirectory
    }

    func path(of certificateID: String) -> String { "\(directory)/\(certificateID).key" }

    /// Seals `key` for `certificateID`. Refuses to replace an existing file:
    /// a certificate's key never changes.
    func store(_ key: PrivateKey, certificateID: String) throws {
        let path = path(of: certificateID)
        guard !LocalFiles.exists(path) else {
            throw GatewayError("\(path): already exists; a certificate's key is never replaced")
        }
        let vaultKey = try VaultKey.load(credentials: credentials, keysDirectory: directory)
        var plaintext: [UInt8]
        do {
            plaintext = try key.pkcs8DER()
        } catch {
            throw GatewayError("encoding the private key for sealing: \(error)")
        }
        defer { SealedKeyFile.wipe(&plaintext) }
        let sealed = try SealedKeyFile.seal(plaintext, certificateID: certificateID, vaultKey: vaultKey)
        do {
            try LocalFiles.writeAtomically(path, contents: sealed, mode: 0o600)
        } catch {
            throw GatewayError("\(error)")
        }
    }

    /// The key of `certificateID`, decrypted into memory.
    func load(certificateID: String) throws -> PrivateKey {
        let path = path(of: certificateID)
        guard LocalFiles.exists(path) else {
            throw GatewayError("\(path): the private key of certificate \(certificateID) is missing; restore it from "
                               + "a backup, or remove the certificate and request a new one")
        }
        let bytes: [UInt8]
        do {
            bytes = try LocalFiles.read(path, limit: .material)
        } catch {
            throw GatewayError("\(error)")
        }
        let file = try SealedKeyFile(parsing: bytes, path: path)
        let vaultKey = try VaultKey.load(credentials: credentials, keysDirectory: directory)
        guard var plaintext = try file.open(certificateID: certificateID, vaultKey: vaultKey) else {
            let hint = file.keyID == vaultKey.id
                ? "the file was altered or belongs to another certificate; restore \(path) from a backup"
                : "it was sealed under another vault key than the one in the default credential store; restore "
                    + "the credential store (and master key) it was written with"
            throw GatewayError("\(path): authentication failed: \(hint)")
        }
        defer { SealedKeyFile.wipe(&plaintext) }
        do {
            return try PrivateKey(der: plaintext, what: path)
        } catch {
            throw GatewayError("\(path): decrypted, but does not hold a private key og-host can read: \(error)")
        }
    }

    /// Deletes the key file of `certificateID`; a missing file is not an error.
    func remove(certificateID: String) throws {
        let path = path(of: certificateID)
        guard unlink(path) == 0 || errno == ENOENT else {
            throw GatewayError("\(path): could not be removed: \(String(cString: strerror(errno)))")
        }
    }
}
