import Foundation
import OGCredentials
import Testing

@Suite struct LocalCredentialStoreTests {
    @Test func passwordAndPrivateKeyCredentialsRoundTrip() throws {
        let fixture = try CredentialFixture()
        let store = try fixture.store()
        let passwordID = try store.add(.password(username: "deploy", Secret("s3cret-pässword")))
        let keyID = try store.add(.privateKey(username: "root", path: "/var/lib/og-host/keys/id_ed25519",
                                              passphrase: Secret("key-passphrase")), id: "ssh-web1")
        #expect(keyID == "ssh-web1")

        let reopened = try fixture.store()
        #expect(try reopened.credential(id: passwordID) == .password(username: "deploy", Secret("s3cret-pässword")))
        let key = try reopened.credential(id: "ssh-web1")
        #expect(key.username == "root")
        guard case .privateKey(let path, let passphrase) = key.secret else {
            Issue.record("expected a private key, got \(key)")
            return
        }
        #expect(path == "/var/lib/og-host/keys/id_ed25519")
        #expect(passphrase?.exposedString() == "key-passphrase")
    }

    @Test func listShowsIDsAndUsernamesButNoSecrets() throws {
        let fixture = try CredentialFixture()
        let store = try fixture.store()
        try store.add(.password(username: "deploy", Secret("hidden-value")), id: "b")
        try store.add(.privateKey(username: "root", path: "/keys/k", passphrase: nil), id: "a")
        let summaries = try store.list()
        #expect(summaries.map(\.id) == ["a", "b"])
        #expect(summaries.map(\.username) == ["root", "deploy"])
        #expect(summaries[0].kind == .privateKey(path: "/keys/k", hasPassphrase: false))
        #expect(summaries[1].description == "b deploy password ••••••")
        #expect(!String(describing: summaries).contains("hidden-value"))
    }

    @Test func updateReplacesAndRemoveDeletes() throws {
        let fixture = try CredentialFixture()
        let store = try fixture.store()
        let id = try store.add(.password(username: "deploy", Secret("old")))
        try store.update(id: id, to: .password(username: "deploy2", Secret("new")))
        #expect(try store.credential(id: id) == .password(username: "deploy2", Secret("new")))
        try store.remove(id: id)
        let error = #expect(throws: CredentialsError.self) { try store.credential(id: id) }
        #expect(error == .notFound(store: "default", id: id))
        #expect(throws: CredentialsError.notFound(store: "default", id: id)) { try store.remove(id: id) }
    }

    @Test func duplicateIDAndBadInputsAreRefusedWithTheField() throws {
        let fixture = try CredentialFixture()
        let store = try fixture.store()
        try store.add(.password(username: "u", Secret("p")), id: "one")
        #expect(throws: CredentialsError.idTaken(store: "default", id: "one")) {
            try store.add(.password(username: "u", Secret("p")), id: "one")
        }
        let relative = #expect(throws: CredentialsError.self) {
            try store.add(.privateKey(username: "u", path: "keys/id_rsa"))
        }
        #expect(relative?.description.hasPrefix("private key path:") == true)
        let badID = #expect(throws: CredentialsError.self) {
            try store.add(.password(username: "u", Secret("p")), id: "has space")
        }
        #expect(badID?.description.hasPrefix("credential ID:") == true)
        #expect(throws: CredentialsError.self) { try fixture.directory.store(named: "../etc") }
    }

    @Test func filesOnDiskHoldNoPlaintextAndArePrivate() throws {
        let fixture = try CredentialFixture()
        let store = try fixture.store()
        let secret = "Plaintext-Needle-\(UUID().uuidString)"
        try store.add(.password(username: "needle-user", Secret(secret)), id: "needle-id")

        let file = try fixture.bytes(of: store.filePath)
        for needle in [secret, Data(secret.utf8).base64EncodedString(), "needle-user", "needle-id", "password"] {
            #expect(!file.contains(bytes: Array(needle.utf8)), "\(needle) is readable in \(store.filePath)")
        }
        #expect(Array(file.prefix(4)) == Array("OGCS".utf8))
        #expect(fixture.mode(of: store.filePath) == 0o600)
        #expect(fixture.mode(of: fixture.directory.masterKeyPath) == 0o600)
        #expect(try fixture.bytes(of: fixture.directory.masterKeyPath).count == 32)
        #expect(fixture.mode(of: fixture.directory.path) == 0o700)
    }

    @Test func everyWriteUsesAFreshNonce() throws {
        let fixture = try CredentialFixture()
        let store = try fixture.store()
        try store.add(.password(username: "u", Secret("p")), id: "x")
        let first = try fixture.bytes(of: store.filePath)
        try store.update(id: "x", to: .password(username: "u", Secret("p")))
        let second = try fixture.bytes(of: store.filePath)
        // Bytes 13..<25 are the nonce, after magic, version and key id.
        #expect(first[13..<25] != second[13..<25])
    }

    @Test func flippedByteIsReportedAsAuthenticationFailure() throws {
        let fixture = try CredentialFixture()
        let store = try fixture.store()
        try store.add(.password(username: "u", Secret("p")), id: "x")
        var file = try fixture.bytes(of: store.filePath)
        for offset in [5, 20, file.count / 2 + 12, file.count - 1] {
            var tampered = file
            tampered[offset] ^= 0x01
            try fixture.write(tampered, to: store.filePath)
            let error = #expect(throws: CredentialsError.self) { try store.credential(id: "x") }
            #expect(error?.description.contains("authentication failed: file was modified or the key is wrong") == true,
                    "offset \(offset): \(String(describing: error))")
        }
        file[4] = 9
        try fixture.write(file, to: store.filePath)
        #expect(throws: CredentialsError.unsupportedFormatVersion(path: store.filePath, version: 9)) {
            try store.list()
        }
    }

    @Test func wrongMasterKeyIsReportedAsAuthenticationFailure() throws {
        let fixture = try CredentialFixture()
        let store = try fixture.store()
        try store.add(.password(username: "u", Secret("p")), id: "x")
        try fixture.write((0..<32).map { _ in UInt8.random(in: 0...255) }, to: fixture.directory.masterKeyPath)
        let error = #expect(throws: CredentialsError.self) { try store.credential(id: "x") }
        #expect(error?.description.contains("authentication failed: file was modified or the key is wrong") == true)
        #expect(error?.description.contains("use the key it was written with") == true)
    }

    @Test func storeFileCopiedOverAnotherStoreDoesNotAuthenticate() throws {
        let fixture = try CredentialFixture()
        let a = try fixture.store("a")
        let b = try fixture.store("b")
        try a.add(.password(username: "u", Secret("from-a")), id: "x")
        try b.add(.password(username: "u", Secret("from-b")), id: "x")
        try fixture.write(try fixture.bytes(of: a.filePath), to: b.filePath)
        let error = #expect(throws: CredentialsError.self) { try b.credential(id: "x") }
        #expect(error?.description.contains("authentication failed") == true)
    }

    @Test func keyReadableByGroupOrOthersIsRefusedWithTheFix() throws {
        let fixture = try CredentialFixture()
        let store = try fixture.store()
        try store.add(.password(username: "u", Secret("p")), id: "x")
        for mode: mode_t in [0o640, 0o604, 0o620] {
            #expect(chmod(fixture.directory.masterKeyPath, mode) == 0)
            let error = #expect(throws: CredentialsError.self) { try store.credential(id: "x") }
            #expect(error == .masterKeyExposed(path: fixture.directory.masterKeyPath, mode: S_IFREG | mode))
            #expect(error?.description.contains("chmod 600 \(fixture.directory.masterKeyPath)") == true)
        }
        #expect(chmod(fixture.directory.masterKeyPath, 0o600) == 0)
        #expect(try store.credential(id: "x").username == "u")
    }

    @Test func keyOwnedByAnotherUserIsRefused() throws {
        let fixture = try CredentialFixture()
        let store = try fixture.store()
        try store.add(.password(username: "u", Secret("p")), id: "x")
        try #require(geteuid() == 0, "giving the key to another user needs root; run the tests as root (CI does)")
        #expect(chown(fixture.directory.masterKeyPath, 4242, 4242) == 0)
        #expect(throws: CredentialsError.masterKeyWrongOwner(path: fixture.directory.masterKeyPath, owner: 4242)) {
            try store.list()
        }
    }

    @Test func missingKeyWithExistingStoresIsReportedNotReplaced() throws {
        let fixture = try CredentialFixture()
        let store = try fixture.store()
        try store.add(.password(username: "u", Secret("p")), id: "x")
        #expect(unlink(fixture.directory.masterKeyPath) == 0)
        let error = #expect(throws: CredentialsError.self) {
            try store.add(.password(username: "u", Secret("p")), id: "y")
        }
        #expect(error == .masterKeyMissing(keyPath: fixture.directory.masterKeyPath, storePath: store.filePath))
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.masterKeyPath))
    }

    @Test func masterKeyPathComesFromTheEnvironmentWhenSet() throws {
        let fixture = try CredentialFixture()
        let keyPath = fixture.temporary.file("elsewhere.key")
        let directory = LocalCredentialDirectory(path: fixture.directory.path,
                                                 environment: ["OG_MASTER_KEY_FILE": keyPath])
        #expect(directory.masterKeyPath == keyPath)
        try directory.store(named: "default").add(.password(username: "u", Secret("p")), id: "x")
        #expect(fixture.mode(of: keyPath) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.masterKeyPath))
    }

    @Test func concurrentWritersThroughSeparateHandlesLoseNoUpdate() throws {
        let fixture = try CredentialFixture()
        let writers = 4
        let perWriter = 10
        let failures = FailureLog()
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            do {
                // Each writer builds its own directory value, as another process would.
                let directory = LocalCredentialDirectory(path: fixture.directory.path,
                                                         masterKeyPath: fixture.directory.masterKeyPath)
                let store = try directory.store(named: "default")
                for index in 0..<perWriter {
                    try store.add(.password(username: "u\(writer)", Secret("p\(index)")), id: "w\(writer)-\(index)")
                }
            } catch {
                failures.append("writer \(writer): \(error)")
            }
        }
        #expect(failures.messages.isEmpty, "\(failures.messages)")
        #expect(try fixture.store().list().count == writers * perWriter)
    }

    @Test func removingAStoreDeletesItsFile() throws {
        let fixture = try CredentialFixture()
        let store = try fixture.store("team")
        try store.add(.password(username: "u", Secret("p")), id: "x")
        #expect(try fixture.directory.storeNames() == ["team"])
        try fixture.directory.removeStore(named: "team")
        #expect(try fixture.directory.storeNames().isEmpty)
        #expect(try store.list().isEmpty)
    }

    /// Reads share the directory's lock (ten job workers read the default store at once); a change
    /// in progress (the exclusive lock, held here by the test) still keeps them out until it ends.
    @Test func readersShareTheLockAndWaitForAWriter() throws {
        let fixture = try CredentialFixture()
        let store = try fixture.store()
        try store.add(.password(username: "deploy", Secret("pw")), id: "one")
        let lock = open(fixture.directory.path + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        try #require(lock >= 0)
        defer { close(lock) }

        /// Reads credential "one" on another thread; the semaphore says when it is done.
        func readElsewhere() -> DispatchSemaphore {
            let done = DispatchSemaphore(value: 0)
            Thread {
                _ = try? store.credential(id: "one")
                _ = try? store.list()
                done.signal()
            }.start()
            return done
        }

        try #require(flock(lock, LOCK_SH) == 0)
        let whileRead = readElsewhere()
        let sharedOK = whileRead.wait(timeout: .now() + 30) == .success
        #expect(sharedOK, "a reader waited for another reader")
        try #require(flock(lock, LOCK_UN) == 0)
        if !sharedOK { whileRead.wait() }

        try #require(flock(lock, LOCK_EX) == 0)
        let whileWritten = readElsewhere()
        #expect(whileWritten.wait(timeout: .now() + 0.3) == .timedOut, "a reader went ahead during a change")
        try #require(flock(lock, LOCK_UN) == 0)
        #expect(whileWritten.wait(timeout: .now() + 30) == .success)
    }
}
