import OGBasics

/// Test-only: wraps a connection so that every operation that changes the
/// endpoint has a crash point (`FaultPoints`) right before and right after
/// it. Used only when `OG_FAULT_INJECT` is set, so a fault-injection test can
/// kill an install between any two things it does on the endpoint; reads
/// pass straight through.
public final class FaultInjectingConnection: Connection {
    let inner: Connection

    public init(_ inner: Connection) { self.inner = inner }

    public var platform: Platform { inner.platform }

    public func run(_ argv: [String], standardInput: [UInt8], timeout: Duration, privileged: Bool) throws -> CommandResult {
        let what = "run \(argv.first ?? "")"
        FaultPoints.reach("before \(what)")
        let result = try inner.run(argv, standardInput: standardInput, timeout: timeout, privileged: privileged)
        FaultPoints.reach("after \(what)")
        return result
    }

    public func readFile(_ path: String) throws -> [UInt8] { try inner.readFile(path) }

    public func writeFileAtomically(_ path: String, contents: [UInt8], mode: UInt32?) throws {
        FaultPoints.reach("before write \(path)")
        try inner.writeFileAtomically(path, contents: contents, mode: mode)
        FaultPoints.reach("after write \(path)")
    }

    /// The crash points of the write a backup used to be.
    public func backUp(_ path: String, to backup: String, contents: [UInt8], mode: UInt32) throws {
        FaultPoints.reach("before write \(backup)")
        try inner.backUp(path, to: backup, contents: contents, mode: mode)
        FaultPoints.reach("after write \(backup)")
    }

    public func stat(_ path: String) throws -> FileStatus { try inner.stat(path) }

    public func listDirectory(_ path: String) throws -> [String] { try inner.listDirectory(path) }

    public func makeDirectory(_ path: String, mode: UInt32) throws {
        FaultPoints.reach("before mkdir \(path)")
        try inner.makeDirectory(path, mode: mode)
        FaultPoints.reach("after mkdir \(path)")
    }

    public func remove(_ path: String) throws {
        FaultPoints.reach("before remove \(path)")
        try inner.remove(path)
        FaultPoints.reach("after remove \(path)")
    }

    public func close() { inner.close() }
}
