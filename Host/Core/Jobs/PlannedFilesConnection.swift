import Foundation
import OGConnections

/// A dry run's view of an endpoint as the earlier nodes of the job would
/// leave it: files they would write read back as they would be written,
/// everything else straight from the endpoint. A dry run over several nodes
/// plans and renders each node through it, so a later node that edits a file
/// an earlier node edits (two nginx server blocks in one site file, two
/// aliases in one keystore) is planned and diffed against the earlier node's
/// result, as the real install composes them.
///
/// It never changes the endpoint: writes, directory creation and removal are
/// refused. Commands run on the endpoint as they are (planning runs only
/// read-only ones); a command that reads a file an earlier node would change
/// sees the file as it is now, which is the one thing a dry run cannot show.
/// Owned by the session that wraps it; closing it leaves the real connection
/// to the session that opened it.
final class PlannedFilesConnection: Connection, @unchecked Sendable {
    let inner: Connection
    private let lock = NSLock()
    private var planned: [String: (bytes: [UInt8], mode: UInt32)] = [:]

    init(_ inner: Connection) { self.inner = inner }

    /// Files an earlier node would write: later reads see these bytes.
    func plan(_ path: String, bytes: [UInt8], mode: UInt32) {
        lock.withLock { planned[path] = (bytes, mode) }
    }

    /// Whether an earlier node of the dry run would write `path`.
    func isPlanned(_ path: String) -> Bool { lock.withLock { planned[path] != nil } }

    private func plannedFile(_ path: String) -> (bytes: [UInt8], mode: UInt32)? { lock.withLock { planned[path] } }

    var platform: Platform { inner.platform }

    func run(_ argv: [String], standardInput: [UInt8], timeout: Duration, privileged: Bool) throws -> CommandResult {
        try inner.run(argv, standardInput: standardInput, timeout: timeout, privileged: privileged)
    }

    func readFile(_ path: String) throws -> [UInt8] {
        if let file = plannedFile(path) { return file.bytes }
        return try inner.readFile(path)
    }

    func stat(_ path: String) throws -> FileStatus {
        guard let file = plannedFile(path) else { return try inner.stat(path) }
        let now = Int64(Date().timeIntervalSince1970)
        let current = try inner.stat(path)
        // A file the plan creates is owned as the real write would make it: by the login.
        return FileStatus(type: .regular, mode: file.mode, size: UInt64(file.bytes.count), modified: now,
                          uid: current.type == .missing ? UInt32(getuid()) : current.uid,
                          gid: current.type == .missing ? UInt32(getgid()) : current.gid)
    }

    func listDirectory(_ path: String) throws -> [String] {
        let prefix = path.hasSuffix("/") ? path : path + "/"
        let added = lock.withLock {
            planned.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
                .map { String($0.dropFirst(prefix.count)) }
        }
        let listed: [String]
        do { listed = try inner.listDirectory(path) } catch ConnectionError.notFound where !added.isEmpty {
            listed = []
        }
        return Array(Set(listed).union(added)).sorted()
    }

    func writeFileAtomically(_ path: String, contents: [UInt8], mode: UInt32?) throws {
        throw ConnectionError.notSupported("a dry run writes nothing (\(path))")
    }

    func makeDirectory(_ path: String, mode: UInt32) throws {
        throw ConnectionError.notSupported("a dry run creates nothing (\(path))")
    }

    func remove(_ path: String) throws {
        throw ConnectionError.notSupported("a dry run removes nothing (\(path))")
    }

    /// The session that opened the real connection closes it.
    func close() {}
}
