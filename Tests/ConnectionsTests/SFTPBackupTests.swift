import Foundation
import OGBasics
import OGConnections
import OGTestSupport
import Testing

/// A backup before an install (`Connection.backUp`): over SFTP a hard link to
/// the old file (one hardlink@openssh.com request), which keeps the old bytes
/// because every write renames a new file into place; a copy where the server
/// refuses links, and on other connections.
struct SFTPBackupTests {
    @Test func anSFTPBackupIsTheOldFileItselfAndKeepsItsBytesAfterTheFileIsReplaced() throws {
        let server = try SSHServerFixture.start()
        let connection = try server.connect()
        defer { connection.close() }
        let target = "\(server.workDirectory)/key.pem"
        let backup = "\(server.workDirectory)/.key.pem.og-backup-1"
        try connection.writeFileAtomically(target, contents: Array("old key".utf8), mode: 0o600)
        let old = try connection.readFile(target)

        try connection.backUp(target, to: backup, contents: old, mode: 0o600)

        #expect(try inode(backup) == inode(target), "a hard link, not a copy")
        try connection.writeFileAtomically(target, contents: Array("new key".utf8), mode: nil)
        #expect(try connection.readFile(target) == Array("new key".utf8))
        #expect(try connection.readFile(backup) == Array("old key".utf8), "the replaced file's bytes stay in the backup")
        #expect(try inode(backup) != inode(target))
        #expect(try connection.stat(backup).mode == 0o600)
        #expect(try connection.listDirectory(server.workDirectory) == [".key.pem.og-backup-1", "key.pem"], "no temporary")
    }

    @Test func aServerRefusingLinksGetsACompleteCopy() throws {
        let server = try SSHServerFixture.start(.init(sftpSubsystem: "internal-sftp -P hardlink"))
        let connection = try server.connect()
        defer { connection.close() }
        let target = "\(server.workDirectory)/cert.pem"
        let backup = "\(server.workDirectory)/.cert.pem.og-backup-1"
        try connection.writeFileAtomically(target, contents: Array("old cert".utf8), mode: 0o640)

        try connection.backUp(target, to: backup, contents: try connection.readFile(target), mode: 0o640)

        #expect(try inode(backup) != inode(target), "a copy")
        #expect(try connection.readFile(backup) == Array("old cert".utf8))
        #expect(try connection.stat(backup).mode == 0o640)
        #expect(try connection.listDirectory(server.workDirectory) == [".cert.pem.og-backup-1", "cert.pem"], "no temporary")
    }

    @Test func aLocalBackupIsACopy() throws {
        let directory = try TemporaryDirectory("og-local-backup")
        let connection = LocalConnection()
        let target = directory.file("cert.pem")
        try connection.writeFileAtomically(target, contents: Array("old".utf8), mode: 0o644)

        try connection.backUp(target, to: directory.file(".cert.pem.og-backup-1"), contents: Array("old".utf8), mode: 0o644)

        #expect(try inode(directory.file(".cert.pem.og-backup-1")) != inode(target))
        #expect(try LocalFiles.read(directory.file(".cert.pem.og-backup-1")) == Array("old".utf8))
    }

    private func inode(_ path: String) throws -> UInt64 {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw ConnectionError.notFound(path: path) }
        return UInt64(info.st_ino)
    }
}
