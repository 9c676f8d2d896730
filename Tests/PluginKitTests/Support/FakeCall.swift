import OGPluginABI
@testable import OGPluginKit

/// One operation as the fake host sees it: the og_call a slot receives, and
/// everything the plugin did through it.
final class FakeCall: @unchecked Sendable {
    // @unchecked is sound: all mutable state sits in `state`, behind its lock.
    struct ReportedError: Equatable, CustomStringConvertible {
        var field: String
        var message: String
        var description: String { "\(field): \(message)" }
    }

    struct State {
        var errors: [ReportedError] = []
        var logs: [(level: Int32, message: String)] = []
        var commands: [(argv: [String], standardInput: [UInt8], flags: UInt32, timeoutMilliseconds: UInt32)] = []
        var httpRequests: [HTTPRequest] = []
        var keystoreRequests: [(format: UInt32, data: [UInt8], passwordOption: String)] = []
        /// attest_old_configuration_retired calls (ABI 1.2).
        var retirementStatements = 0
    }

    let state = Locked(State())
    /// Services that fail with this status (after the fake host sets its own error).
    let forcedFailures: [String: og_status]
    let httpResponse: HTTPResponse
    let keystoreEntries: [KeystoreEntryInfo]

    init(forcedFailures: [String: og_status] = [:], httpResponse: HTTPResponse = HTTPResponse(status: 200),
         keystoreEntries: [KeystoreEntryInfo] = []) {
        self.forcedFailures = forcedFailures
        self.httpResponse = httpResponse
        self.keystoreEntries = keystoreEntries
    }

    var errors: [ReportedError] { state.withLock { $0.errors } }
    var logs: [(level: Int32, message: String)] { state.withLock { $0.logs } }

    /// Runs `body` with this call registered, as the host does around a slot.
    func perform<Result>(_ body: (OpaquePointer) throws -> Result) rethrows -> Result {
        let pointer = FakeHost.shared.register(self)
        defer { FakeHost.shared.unregister(pointer) }
        return try body(pointer)
    }
}
