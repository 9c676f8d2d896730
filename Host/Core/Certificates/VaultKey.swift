import Foundation
import OGCredentials
import OGMaterial

/// The 256-bit key that seals every private key file under `<data>/keys`.
///
/// It lives as a credential in the built-in `default` local credential store,
/// so it is itself sealed under the gateway's master key (the same
/// `master.key`, or `OG_MASTER_KEY_FILE`, that protects every credential).
/// Keeping one level of indirection rather than sealing key files with the
/// master key directly is what lets `rotateMasterKey` stay correct: rotation
/// re-seals the credential stores, this key included, and the key files need
/// not change.
struct VaultKey {
    /// The credential ID in the default store. `:` keeps it apart from IDs
    /// that endpoints' inline secrets get.
    static let credentialID = "og-host:certificate-key-vault"
    static let length = 32

    let secret: Secret
    /// Names the key without revealing it: the first 8 bytes of SHA-256 over
    /// a label and the key. Written into each key file so that a file sealed
    /// under another vault key is reported as such.
    let id: [UInt8]

    init(secret: Secret) throws {
        guard secret.count == Self.length else {
            throw GatewayError("credential '\(Self.credentialID)' in the default credential store is \(secret.count) "
                               + "bytes long, a vault key is \(Self.length); restore the store from a backup")
        }
        self.secret = secret
        var labelled = Array("og-host certificate vault key id".utf8) + secret.withUnsafeBytes { Array($0) }
        defer { SealedKeyFile.wipe(&labelled) }
        id = Array(Digest.sha256(labelled).prefix(SealedKeyFile.keyIDLength))
    }

    /// The vault key, created on first use. `keysDirectory` is consulted before
    /// creating one: key files with no key to open them mean the credential
    /// store was replaced, and a new key would hide that rather than fix it.
    static func load(credentials: LocalCredentialDirectory, keysDirectory: String) throws -> VaultKey {
        let store: LocalCredentialStore
        do {
            store = try LocalCredentialStore(directory: credentials)
        } catch {
            throw GatewayError("credential store 'default': \(error)")
        }
        if let existing = try existingKey(in: store) { return existing }
        let sealedFiles = (try? FileManager.default.contentsOfDirectory(atPath: keysDirectory))?
            .filter { $0.hasSuffix(".key") } ?? []
        guard sealedFiles.isEmpty else {
            throw GatewayError("\(keysDirectory) holds \(sealedFiles.count) sealed key file(s), but credential "
                               + "'\(credentialID)' that opens them is missing from \(store.filePath); restore that "
                               + "file (and its master key) from a backup")
        }
        var random = try SealedKeyFile.randomBytes(length)
        defer { SealedKeyFile.wipe(&random) }
        do {
            try store.add(.password(username: "og-host certificate vault", Secret(bytes: random)), id: credentialID)
        } catch CredentialsError.idTaken {
            // Another og-host created it between our read and our add; use theirs.
            guard let created = try existingKey(in: store) else {
                throw GatewayError("credential store 'default': the certificate vault key vanished while it was "
                                   + "being created; run the command again")
            }
            return created
        } catch {
            throw GatewayError("credential store 'default': storing the certificate vault key: \(error)")
        }
        return try VaultKey(secret: Secret(bytes: random))
    }

    private static func existingKey(in store: LocalCredentialStore) throws -> VaultKey? {
        let credential: Credential
        do {
            credential = try store.credential(id: credentialID)
        } catch CredentialsError.notFound {
            return nil
        } catch {
            throw GatewayError("credential store 'default': reading the certificate vault key: \(error)")
        }
        guard case .password(let secret) = credential.secret else {
            throw GatewayError("credential '\(credentialID)' in \(store.filePath) is not a vault key; "
                               + "restore the store from a backup")
        }
        return try VaultKey(secret: secret)
    }
}
