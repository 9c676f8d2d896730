import Foundation
import OGBasics
import OGConnections
import OGTestSupport
import Testing

/// What an SSH connection leaves behind when the connection dies under it.
struct SSHFailureTests {
    @Test func connectionKilledMidUploadLeavesNoFileAtTheTarget() throws {
        let server = try SSHServerFixture.start()
        let connection = try server.connect()
        let target = "\(server.workDirectory)/big.bin"
        let watcher = KillWhenUploadStarts(server: server, directory: server.workDirectory, temporaryPrefix: ".big.bin.og-tmp-")
        watcher.start()
        let error = connectionError { try connection.writeFileAtomically(target, contents: randomBytes(256 << 20)) }
        watcher.finish()
        try #require(watcher.killed, "the upload finished before the watcher saw it start; nothing was interrupted")
        guard case .couldNotConnect = error else {
            Issue.record("expected couldNotConnect, got \(String(describing: error))")
            return
        }

        // Nothing at the target name; anything left is a hidden temporary that cannot be mistaken for it.
        #expect(!FileManager.default.fileExists(atPath: target))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: server.workDirectory)
        #expect(leftovers.allSatisfy { $0.hasPrefix(".big.bin.og-tmp-") }, "\(leftovers)")

        // The broken connection says so; a new one works.
        guard case .couldNotConnect(_, _, let reason) = connectionError({ _ = try connection.stat(target) }) else {
            Issue.record("a broken connection should keep reporting couldNotConnect")
            return
        }
        #expect(reason.contains("open a new connection"))
        #expect(try server.connect().stat(target) == .missing)
    }

    @Test func failedReplaceLeavesTheOldFileAndNoTemporary() throws {
        let server = try SSHServerFixture.start()
        let connection = try server.connect()
        let directory = "\(server.workDirectory)/locked"
        try connection.makeDirectory(directory)
        try connection.writeFileAtomically("\(directory)/cert.pem", contents: Array("old".utf8))
        // A read-only directory refuses the temporary file: the old contents must survive untouched.
        try connection.run(["chmod", "555", directory]).requireSuccess(["chmod"])
        let error = connectionError { try connection.writeFileAtomically("\(directory)/cert.pem", contents: Array("new".utf8)) }
        guard case .io(let path, let reason) = error else {
            Issue.record("expected io, got \(String(describing: error))")
            return
        }
        #expect(path == "\(directory)/cert.pem")
        #expect(reason.contains("permission denied"))
        #expect(try connection.readFile("\(directory)/cert.pem") == Array("old".utf8))
        #expect(try connection.listDirectory(directory) == ["cert.pem"])
    }
}

/// Watches the upload directory from a second thread and kills the server's
/// session processes as soon as the temporary file has data in it.
private final class KillWhenUploadStarts: @unchecked Sendable {
    // `killed` and `done` are guarded by `lock`; the rest is immutable.
    private let server: SSHServerFixture
    private let directory: String
    private let temporaryPrefix: String
    private let lock = Locked()
    private var isDone = false
    private var didKill = false
    private let finished = DispatchSemaphore(value: 0)

    init(server: SSHServerFixture, directory: String, temporaryPrefix: String) {
        self.server = server
        self.directory = directory
        self.temporaryPrefix = temporaryPrefix
    }

    var killed: Bool { lock.withLock { didKill } }

    func start() {
        Thread.detachNewThread { [self] in
            defer { finished.signal() }
            while !lock.withLock({ isDone }) {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
                for name in names where name.hasPrefix(temporaryPrefix) {
                    var info = stat()
                    if lstat("\(directory)/\(name)", &info) == 0, info.st_size > 1 << 20 {
                        server.killSessions()
                        lock.withLock { didKill = true }
                        return
                    }
                }
                usleep(500)
            }
        }
    }

    func finish() {
        lock.withLock { isDone = true }
        finished.wait()
    }
}
