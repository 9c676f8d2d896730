import Foundation
import OGBasics
import OGConnections
@testable import OGHost
import OGPlugins
import OGTestSupport
import Testing

/// While one node is planned and rendered (`EndpointSession.rememberingReads`)
/// the host's rendering takes a file's status and bytes from the plugin's own
/// reads instead of asking the endpoint again; anything that may change the
/// endpoint forgets them, and nothing is remembered outside that scope.
@Suite struct RememberedReadsTests {
    @Test func readsAreAskedOnceWhilePlanningAndAgainAfterAnythingThatMayChangeTheEndpoint() throws {
        let directory = try TemporaryDirectory("og-remembered-reads")
        let path = directory.file("cert.pem")
        try LocalFiles.writeAtomically(path, contents: Array("first".utf8), mode: 0o644)
        let counting = CountingConnection(LocalConnection())
        let endpoint = EndpointConfig(type: "pem", name: "e1", connectionType: .local, host: "", port: 0, options: [])
        let session = EndpointSession(connection: counting, endpoint: endpoint, secretOptions: [:])

        try session.rememberingReads {
            // The plugin's reads (host services), then the host's rendering of the same file.
            _ = try session.stat(path)
            #expect(try session.readFile(path) == Array("first".utf8))
            #expect(try session.fileStatus(path).type == .regular)
            #expect(try session.fileContents(path) == Array("first".utf8))
            #expect(counting.reads == 1 && counting.stats == 1)

            // A command may change anything: the next reads go to the endpoint.
            _ = try session.run(["sh", "-c", "printf second > \"$0\"", path], standardInput: [], timeoutMilliseconds: 0, privileged: false)
            #expect(try session.fileContents(path) == Array("second".utf8))
            #expect(counting.reads == 2)

            // So may a write.
            try session.writeFile(path, contents: Array("third".utf8), mode: 0)
            #expect(try session.fileContents(path) == Array("third".utf8))
            #expect(counting.reads == 3)
        }

        // Outside planning every read asks the endpoint.
        _ = try session.fileContents(path)
        _ = try session.readFile(path)
        #expect(counting.reads == 5)
    }
}

/// Counts the reads and stats that reach the connection.
private final class CountingConnection: Connection, @unchecked Sendable {
    let inner: Connection
    private let lock = Locked()
    private var readCount = 0, statCount = 0
    var reads: Int { lock.withLock { readCount } }
    var stats: Int { lock.withLock { statCount } }

    init(_ inner: Connection) { self.inner = inner }
    var platform: Platform { inner.platform }
    func run(_ argv: [String], standardInput: [UInt8], timeout: Duration, privileged: Bool) throws -> CommandResult {
        try inner.run(argv, standardInput: standardInput, timeout: timeout, privileged: privileged)
    }
    func readFile(_ path: String) throws -> [UInt8] {
        lock.withLock { readCount += 1 }
        return try inner.readFile(path)
    }
    func writeFileAtomically(_ path: String, contents: [UInt8], mode: UInt32?) throws {
        try inner.writeFileAtomically(path, contents: contents, mode: mode)
    }
    func stat(_ path: String) throws -> FileStatus {
        lock.withLock { statCount += 1 }
        return try inner.stat(path)
    }
    func listDirectory(_ path: String) throws -> [String] { try inner.listDirectory(path) }
    func makeDirectory(_ path: String, mode: UInt32) throws { try inner.makeDirectory(path, mode: mode) }
    func remove(_ path: String) throws { try inner.remove(path) }
    func close() { inner.close() }
}
