import Foundation
import OGBasics

/// The folder holding the local credential stores (`<data>/credentials`),
/// one sealed `<store>.ogcs` file per store, and the master key that seals
/// them all.
///
/// Every change holds an exclusive `flock` on `<folder>/.lock` from read to
/// write, so concurrent og-host processes never lose each other's updates,
/// and first finishes a master key rotation that a crash interrupted. Reads
/// share the lock: no change is under way while they read, and readers do not
/// wait for each other (every endpoint job of a fan-out reads the default
/// store twice, in ten job workers at once).
public struct LocalCredentialDirectory: Sendable {
    public static let storeFileExtension = "ogcs"

    public let path: String
    /// `OG_MASTER_KEY_FILE` if set, else `<folder>/master.key`.
    public let masterKeyPath: String

    /// Uses `OG_MASTER_KEY_FILE` from `environment` for the key when it is set.
    public init(path: String, environment: Environment = .process) {
        let fromEnvironment = environment["OG_MASTER_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        self.init(path: path, masterKeyPath: fromEnvironment ?? "\(path)/master.key")
    }

    public init(path: String, masterKeyPath: String) {
        self.path = path
        self.masterKeyPath = masterKeyPath
    }

    /// The store named `name`; its file need not exist yet.
    public func store(named name: String) throws -> LocalCredentialStore {
        try LocalCredentialStore(name: name, directory: self)
    }

    /// Names of the stores that have a file here, sorted.
    public func storeNames() throws -> [String] {
        guard LocalFiles.exists(path) else { return [] }
        let suffix = ".\(Self.storeFileExtension)"
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path)
                .filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }
                .map { String($0.dropLast(suffix.count)) }
                .sorted()
        } catch {
            throw BasicsError.io(path: path, operation: "list", reason: error.localizedDescription)
        }
    }

    /// Deletes the file of store `name` and every credential in it, for when
    /// the store itself is removed from the inventory.
    public func removeStore(named name: String) throws {
        try LocalCredentialStore.validateName(name)
        try withExclusiveAccess { access in
            let file = filePath(ofStore: name)
            guard unlink(file) == 0 || errno == ENOENT else {
                throw BasicsError.io(path: file, operation: "remove", reason: String(cString: strerror(errno)))
            }
            try access.syncDirectory(path)
        }
    }

    /// Replaces the master key with a new random one and re-seals every store
    /// with it, so a copy of the old key opens nothing from now on.
    ///
    /// Crash safety, in this order:
    /// 1. The new key is written atomically to `<master key>.new`. From here a
    ///    later og-host that finds that file finishes the rotation.
    /// 2. Every store is decrypted with the current key and re-sealed with the
    ///    new one into `<store>.ogcs.rotating`. No live file has changed; an
    ///    error here removes these temporaries and the new key, and the old
    ///    state stands untouched.
    /// 3. Each temporary is renamed over its store. A crash between renames
    ///    leaves some stores under each key; each file names its key in its
    ///    header and both keys are still on disk, so recovery re-seals the rest.
    /// 4. `<master key>.new` is renamed over the master key. The old key
    ///    disappears only once no store needs it.
    public func rotateMasterKey() throws {
        try withExclusiveAccess { access in
            let stores = try storeNames()
            if try access.currentKey() == nil, let first = stores.first {
                throw CredentialsError.masterKeyMissing(keyPath: masterKeyPath, storePath: filePath(ofStore: first))
            }
            let newKey = try MasterKey.generate()
            try newKey.write(to: pendingKeyPath)
            try access.finishRotation(to: newKey, abandoningOnFailure: true)
        }
    }

    func filePath(ofStore name: String) -> String {
        "\(path)/\(name).\(Self.storeFileExtension)"
    }

    var pendingKeyPath: String { "\(masterKeyPath).new" }

    /// Runs `body` holding the directory's lock, after finishing any
    /// interrupted rotation. Creates the folder (0700) when missing.
    func withExclusiveAccess<Result>(_ body: (inout Access) throws -> Result) throws -> Result {
        if !LocalFiles.exists(path) {
            try LocalFiles.makeDirectory(path, mode: 0o700)
        }
        return try FileLock.withExclusiveLock("\(path)/.lock") {
            var access = Access(directory: self)
            if let pendingKey = try MasterKey.load(from: pendingKeyPath) {
                try access.finishRotation(to: pendingKey, abandoningOnFailure: false)
            }
            return try body(&access)
        }
    }

    /// Runs `body`, which only reads, holding the directory's lock shared
    /// with other readers. A rotation a crash left unfinished (`<master
    /// key>.new` present) must be finished first, which takes the exclusive
    /// lock: then `body` runs under that instead. A rotation cannot start
    /// while a reader holds the lock.
    func withSharedAccess<Result>(_ body: (inout Access) throws -> Result) throws -> Result {
        if LocalFiles.exists(path) {
            let outcome: Result? = try FileLock.withSharedLock("\(path)/.lock") {
                guard !LocalFiles.exists(pendingKeyPath) else { return nil }
                var access = Access(directory: self)
                return .some(try body(&access))
            }
            if let outcome { return outcome }
        }
        return try withExclusiveAccess(body)
    }

    /// What may be done while the lock is held. Caches the master key for the
    /// duration of one locked operation only.
    struct Access {
        let directory: LocalCredentialDirectory
        private var loadedKey: MasterKey??

        init(directory: LocalCredentialDirectory) {
            self.directory = directory
        }

        mutating func currentKey() throws -> MasterKey? {
            if let loadedKey { return loadedKey }
            let key = try MasterKey.load(from: directory.masterKeyPath)
            loadedKey = .some(key)
            return key
        }

        /// The master key, created (0600) on first use when no store exists yet.
        mutating func keyCreatingIfNeeded() throws -> MasterKey {
            if let key = try currentKey() { return key }
            if let existing = try directory.storeNames().first {
                throw CredentialsError.masterKeyMissing(keyPath: directory.masterKeyPath,
                                                        storePath: directory.filePath(ofStore: existing))
            }
            let key = try MasterKey.generate()
            try key.write(to: directory.masterKeyPath)
            loadedKey = .some(key)
            return key
        }

        /// The decrypted contents of store `name`; empty when it has no file yet.
        mutating func read(store name: String) throws -> StoreDocument {
            let path = directory.filePath(ofStore: name)
            guard LocalFiles.exists(path) else { return StoreDocument() }
            let file = try SealedStoreFile(parsing: LocalFiles.read(path), path: path)
            guard let key = try currentKey() else {
                throw CredentialsError.masterKeyMissing(keyPath: directory.masterKeyPath, storePath: path)
            }
            return try open(file, store: name, path: path, key: key)
        }

        mutating func write(_ document: StoreDocument, store name: String) throws {
            let key = try keyCreatingIfNeeded()
            try seal(document, store: name, key: key, to: directory.filePath(ofStore: name))
        }

        /// Steps 2 to 4 of `rotateMasterKey`, also run to recover from a crash.
        mutating func finishRotation(to newKey: MasterKey, abandoningOnFailure: Bool) throws {
            var prepared: [(temporary: String, store: String)] = []
            do {
                for name in try directory.storeNames() {
                    let path = directory.filePath(ofStore: name)
                    let file = try SealedStoreFile(parsing: LocalFiles.read(path), path: path)
                    if file.keyID == newKey.id { continue }
                    guard let oldKey = try currentKey() else {
                        throw CredentialsError.masterKeyMissing(keyPath: directory.masterKeyPath, storePath: path)
                    }
                    let document = try open(file, store: name, path: path, key: oldKey)
                    let temporary = "\(path).rotating"
                    try seal(document, store: name, key: newKey, to: temporary)
                    prepared.append((temporary, path))
                }
            } catch {
                for (temporary, _) in prepared { unlink(temporary) }
                if abandoningOnFailure { unlink(directory.pendingKeyPath) }
                throw error
            }
            for (temporary, store) in prepared {
                try rename(temporary, to: store)
            }
            try syncDirectory(directory.path)
            try rename(directory.pendingKeyPath, to: directory.masterKeyPath)
            try syncDirectory((directory.masterKeyPath as NSString).deletingLastPathComponent)
            loadedKey = .some(newKey)
        }

        func syncDirectory(_ path: String) throws {
            let descriptor = Foundation.open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw BasicsError.io(path: path, operation: "open directory", reason: String(cString: strerror(errno)))
            }
            defer { close(descriptor) }
            guard fsync(descriptor) == 0 else {
                throw BasicsError.io(path: path, operation: "fsync", reason: String(cString: strerror(errno)))
            }
        }

        private func open(_ file: SealedStoreFile, store name: String, path: String,
                          key: MasterKey) throws -> StoreDocument {
            guard var plaintext = try file.open(storeName: name, key: key) else {
                let hint = file.keyID == key.id
                    ? "restore \(path) from a backup"
                    : "it names master key \(file.keyID.hexString) but \(directory.masterKeyPath) holds key "
                        + "\(key.id.hexString); use the key it was written with"
                throw CredentialsError.authenticationFailed(path: path, hint: hint)
            }
            defer { AESGCM.wipe(&plaintext) }
            do {
                return try StoreDocument.decode(plaintext)
            } catch {
                throw CredentialsError.damagedStoreContents(path: path)
            }
        }

        private func seal(_ document: StoreDocument, store name: String, key: MasterKey, to path: String) throws {
            var plaintext = try document.encoded()
            defer { AESGCM.wipe(&plaintext) }
            try LocalFiles.writeAtomically(path, contents: try SealedStoreFile.seal(plaintext, storeName: name, key: key),
                                           mode: 0o600)
        }

        private func rename(_ source: String, to destination: String) throws {
            guard Foundation.rename(source, destination) == 0 else {
                throw BasicsError.io(path: destination, operation: "rename \(source) into place",
                                     reason: String(cString: strerror(errno)))
            }
        }
    }
}

private extension [UInt8] {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}
