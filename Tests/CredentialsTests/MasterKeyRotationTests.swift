import Foundation
import OGCredentials
import Testing

@Suite struct MasterKeyRotationTests {
    private func populatedFixture() throws -> CredentialFixture {
        let fixture = try CredentialFixture()
        try fixture.store("default").add(.password(username: "deploy", Secret("pw-default")), id: "one")
        try fixture.store("team").add(.privateKey(username: "root", path: "/keys/k", passphrase: Secret("pp")),
                                      id: "two")
        return fixture
    }

    private func expectEverythingReadable(_ fixture: CredentialFixture) throws {
        #expect(try fixture.store("default").credential(id: "one") == .password(username: "deploy", Secret("pw-default")))
        #expect(try fixture.store("team").credential(id: "two")
                == .privateKey(username: "root", path: "/keys/k", passphrase: Secret("pp")))
    }

    @Test func rotationKeepsEveryStoreReadableAndTheOldKeyOpensNothing() throws {
        let fixture = try populatedFixture()
        let oldKey = try fixture.bytes(of: fixture.directory.masterKeyPath)
        let oldFiles = try ["default", "team"].map { try fixture.bytes(of: fixture.store($0).filePath) }

        try fixture.directory.rotateMasterKey()

        let newKey = try fixture.bytes(of: fixture.directory.masterKeyPath)
        #expect(newKey.count == 32 && newKey != oldKey)
        #expect(fixture.mode(of: fixture.directory.masterKeyPath) == 0o600)
        for (name, oldFile) in zip(["default", "team"], oldFiles) {
            #expect(try fixture.bytes(of: fixture.store(name).filePath) != oldFile)
        }
        try expectEverythingReadable(fixture)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path)
            .filter { $0.hasSuffix(".rotating") || $0.hasSuffix(".new") }
        #expect(leftovers.isEmpty)

        try fixture.write(oldKey, to: fixture.directory.masterKeyPath)
        for name in ["default", "team"] {
            let error = #expect(throws: CredentialsError.self) { try fixture.store(name).list() }
            #expect(error?.description.contains("authentication failed") == true)
        }
    }

    @Test func rotationInterruptedAfterWritingTheNewKeyIsFinishedByTheNextAccess() throws {
        let fixture = try populatedFixture()
        // Produce a genuine new key by rotating a scratch copy, then stage it as
        // the pending key, as if og-host had died right after step 1.
        let scratch = try CredentialFixture()
        try scratch.store().add(.password(username: "x", Secret("x")), id: "x")
        try scratch.directory.rotateMasterKey()
        let pending = try scratch.bytes(of: scratch.directory.masterKeyPath)
        let pendingPath = fixture.directory.masterKeyPath + ".new"
        try fixture.write(pending, to: pendingPath)
        #expect(chmod(pendingPath, 0o600) == 0)

        try expectEverythingReadable(fixture)
        #expect(try fixture.bytes(of: fixture.directory.masterKeyPath) == pending)
        #expect(!FileManager.default.fileExists(atPath: pendingPath))
    }

    @Test func rotationInterruptedBetweenStoreRenamesIsFinishedByTheNextAccess() throws {
        let fixture = try populatedFixture()
        let oldKey = try fixture.bytes(of: fixture.directory.masterKeyPath)
        let teamPath = try fixture.store("team").filePath
        let teamUnderOldKey = try fixture.bytes(of: teamPath)
        try fixture.directory.rotateMasterKey()
        let newKey = try fixture.bytes(of: fixture.directory.masterKeyPath)

        // The state a crash after renaming `default` but before `team` leaves:
        // old key live, new key pending, one store under each.
        try fixture.write(oldKey, to: fixture.directory.masterKeyPath)
        try fixture.write(newKey, to: fixture.directory.masterKeyPath + ".new")
        #expect(chmod(fixture.directory.masterKeyPath + ".new", 0o600) == 0)
        try fixture.write(teamUnderOldKey, to: teamPath)

        try expectEverythingReadable(fixture)
        #expect(try fixture.bytes(of: fixture.directory.masterKeyPath) == newKey)
        #expect(try fixture.bytes(of: teamPath) != teamUnderOldKey)
    }

    @Test func rotationThatCannotReadAStoreChangesNothing() throws {
        let fixture = try populatedFixture()
        let keyBefore = try fixture.bytes(of: fixture.directory.masterKeyPath)
        let teamPath = try fixture.store("team").filePath
        var damaged = try fixture.bytes(of: teamPath)
        damaged[damaged.count - 1] ^= 0xff
        try fixture.write(damaged, to: teamPath)
        let defaultBefore = try fixture.bytes(of: fixture.store("default").filePath)

        let error = #expect(throws: CredentialsError.self) { try fixture.directory.rotateMasterKey() }
        #expect(error?.description.contains("authentication failed") == true)
        #expect(try fixture.bytes(of: fixture.directory.masterKeyPath) == keyBefore)
        #expect(try fixture.bytes(of: fixture.store("default").filePath) == defaultBefore)
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.masterKeyPath + ".new"))
        #expect(try fixture.store("default").credential(id: "one").username == "deploy")
    }

    @Test func rotationWithoutStoresCreatesAKey() throws {
        let fixture = try CredentialFixture()
        try fixture.directory.rotateMasterKey()
        #expect(try fixture.bytes(of: fixture.directory.masterKeyPath).count == 32)
        #expect(fixture.mode(of: fixture.directory.masterKeyPath) == 0o600)
    }
}
