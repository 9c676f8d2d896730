import Foundation
import OGBasics
import OGConnections
import OGTestSupport
import Testing

/// How an SSH write replaces an existing file: rename(2) through OpenSSH's
/// posix-rename SFTP extension (no command, so no login shell and its
/// ~/.bashrc per write), or `mv` on a server that refuses the extension.
struct SFTPReplaceTests {
    @Test func replacingAFileIsARenameOverSFTPWithNoCommandStarted() throws {
        let server = try SSHServerFixture.start()
        let connection = try server.connect()
        defer { connection.close() }
        let target = "\(server.workDirectory)/cert.pem"
        try connection.writeFileAtomically(target, contents: Array("first".utf8), mode: 0o640)
        let commandsBefore = try commandSessions(server)
        var previousInode = try inode(target)

        for round in 1...3 {
            try connection.writeFileAtomically(target, contents: Array("round \(round)".utf8), mode: 0o600)
            #expect(try connection.readFile(target) == Array("round \(round)".utf8))
            // A new file renamed into place, never an in-place rewrite.
            let current = try inode(target)
            #expect(current != previousInode)
            previousInode = current
        }

        #expect(try connection.stat(target).mode == 0o640, "an existing file keeps its mode")
        #expect(try commandSessions(server) == commandsBefore, "a replacement started a command on the server")
        #expect(try connection.listDirectory(server.workDirectory) == ["cert.pem"], "a temporary was left behind")
    }

    @Test func aServerRefusingPosixRenameStillGetsAnAtomicReplacementThroughMv() throws {
        let server = try SSHServerFixture.start(.init(sftpSubsystem: "internal-sftp -P posix-rename"))
        let connection = try server.connect()
        defer { connection.close() }
        let target = "\(server.workDirectory)/cert.pem"
        try connection.writeFileAtomically(target, contents: Array("first".utf8), mode: 0o640)
        let before = try inode(target)
        let commandsBefore = try commandSessions(server)

        try connection.writeFileAtomically(target, contents: Array("second".utf8), mode: 0o600)

        #expect(try connection.readFile(target) == Array("second".utf8))
        #expect(try inode(target) != before)
        #expect(try connection.stat(target).mode == 0o640)
        let log = String(decoding: try LocalFiles.read(server.logPath), as: UTF8.self)
        #expect(try commandSessions(server) == commandsBefore + 1, "the fallback is one `mv` command: \(log.suffix(3000))")
        #expect(try connection.listDirectory(server.workDirectory) == ["cert.pem"])
    }

    @Test func aReplacementTheServerRefusesNamesTheFileAndLeavesTheOldOneAndNoTemporary() throws {
        let server = try SSHServerFixture.start()
        let connection = try server.connect()
        defer { connection.close() }
        // A sticky, world-writable directory (like /tmp): the login may create its
        // temporary there but not rename it over root's file, so rename(2) says EPERM.
        let shared = "\(server.workDirectory)/shared"
        #expect(mkdir(shared, 0o777) == 0)
        #expect(chmod(shared, 0o1777) == 0)
        let target = "\(shared)/cert.pem"
        try LocalFiles.writeAtomically(target, contents: Array("root's".utf8), mode: 0o644)

        let error = connectionError { try connection.writeFileAtomically(target, contents: Array("new".utf8)) }

        guard case .io(let path, let reason) = error else {
            Issue.record("expected an io error, got \(String(describing: error))")
            return
        }
        #expect(path == target)
        #expect(reason.contains("could not be replaced"), "\(reason)")
        #expect(try LocalFiles.read(target) == Array("root's".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: shared) == ["cert.pem"], "a temporary was left behind")
    }

    /// Commands sshd started so far (LogLevel VERBOSE logs one line per exec request).
    private func commandSessions(_ server: SSHServerFixture) throws -> Int {
        let log = String(decoding: try LocalFiles.read(server.logPath, limit: .document), as: UTF8.self)
        return log.components(separatedBy: "Starting session: command for").count - 1
    }

    private func inode(_ path: String) throws -> UInt64 {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw ConnectionError.notFound(path: path) }
        return UInt64(info.st_ino)
    }
}
