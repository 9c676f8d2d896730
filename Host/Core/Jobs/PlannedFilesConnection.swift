import Foundation
import OGBasics
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
/// read-only ones, and this view one `readlink -f` per path it is asked
/// about once an earlier node planned a file); a command that reads a file
/// an earlier node would change sees the file as it is now, which is the one
/// thing a dry run cannot show.
/// Owned by the session that wraps it; closing it leaves the real connection
/// to the session that opened it.
final class PlannedFilesConnection: Connection, @unchecked Sendable {
    let inner: Connection
    private let lock = Locked()
    /// By canonical path (see `canonical`).
    private var planned: [String: (bytes: [UInt8], mode: UInt32)] = [:]
    private var resolved: [String: String] = [:]

    init(_ inner: Connection) { self.inner = inner }

    /// Files an earlier node would write: later reads see these bytes.
    func plan(_ path: String, bytes: [UInt8], mode: UInt32) {
        let key = canonical(path)
        lock.withLock { planned[key] = (bytes, mode) }
    }

    /// The planned file a read of `path` reaches, if any. A plugin often reads
    /// a file by another name than the one it plans to write (nginx and Apache
    /// read `sites-enabled/x`, a symlink, and write the `sites-available/x` it
    /// resolves to; paths with `//`), so both sides are compared by the path
    /// the endpoint resolves them to.
    private func plannedFile(_ path: String) -> (bytes: [UInt8], mode: UInt32)? {
        guard lock.withLock({ !planned.isEmpty }) else { return nil }
        let key = canonical(path)
        return lock.withLock { planned[key] }
    }

    /// `path` with every symlink resolved (`readlink -f` on a POSIX endpoint,
    /// asked once per path) and `//`, `/./` collapsed; lexically only where the
    /// endpoint cannot say.
    private func canonical(_ path: String) -> String {
        let lexical = Self.lexical(path)
        guard inner.platform == .posix else { return lexical }
        if let known = lock.withLock({ resolved[lexical] }) { return known }
        var answer = lexical
        if let result = try? inner.run(["readlink", "-f", "--", lexical], standardInput: [], timeout: .seconds(30), privileged: false),
           result.exitStatus == 0 {
            let text = String(decoding: result.standardOutput, as: UTF8.self).trimmingCharacters(in: .newlines)
            if text.hasPrefix("/") { answer = text }
        }
        lock.withLock { resolved[lexical] = answer }
        return answer
    }

    static func lexical(_ path: String) -> String {
        guard path.hasPrefix("/") else { return path }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        return "/" + parts.joined(separator: "/")
    }

    var platform: Platform { inner.platform }

    func run(_ argv: [String], standardInput: [UInt8], timeout: Duration, privileged: Bool) throws -> CommandResult {
        try inner.run(argv, standardInput: standardInput, timeout: timeout, privileged: privileged)
    }

    func readFile(_ path: String) throws -> [UInt8] {
        if let file = plannedFile(path) { return file.bytes }
        return try inner.readFile(path)
    }

    func stat(_ path: String) throws -> FileStatus {
        let current = try inner.stat(path)
        // A symlink stays one (the plugin resolves it as on the endpoint); a file reached through it is planned.
        guard current.type != .symlink, let file = plannedFile(path) else { return current }
        // A file the plan creates is owned as the real write would make it: by the login.
        return FileStatus(type: .regular, mode: file.mode, size: UInt64(file.bytes.count), modified: Int64(Date().timeIntervalSince1970),
                          uid: current.type == .missing ? UInt32(getuid()) : current.uid,
                          gid: current.type == .missing ? UInt32(getgid()) : current.gid)
    }

    func listDirectory(_ path: String) throws -> [String] {
        let directories = Set([Self.lexical(path), canonical(path)])
        let added = lock.withLock {
            planned.keys.compactMap { key -> String? in
                guard let slash = key.lastIndex(of: "/") else { return nil }
                let directory = slash == key.startIndex ? "/" : String(key[..<slash])
                return directories.contains(directory) ? String(key[key.index(after: slash)...]) : nil
            }
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
