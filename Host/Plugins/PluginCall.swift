import OGPluginABI
import Glibc
import OGBasics

/// The host side of one og_call: the services a slot may use and what the
/// plugin reported (errors, log lines) while it ran.
public final class PluginCall: @unchecked Sendable {
    public struct ReportedError: Equatable, Sendable {
        public var field: String
        public var message: String
    }

    public let services: PluginHostServices?
    /// Errors in the order reported: by the plugin (set_error) or by a failing host service.
    public private(set) var errors: [ReportedError] = []
    public private(set) var logLines: [(PluginLogLevel, String)] = []
    // Mutated only on the thread that owns the call (contract: an og_call
    // belongs to one thread at a time), so the lock only guards `errors` and
    // `logLines` against a misbehaving plugin using the call from elsewhere.
    private let lock = Locked()

    /// The slot this call is for ("activate", ...); host services offered only in one slot check it.
    public let slot: String
    /// Set when the plugin called attest_old_configuration_retired during this activate call (since 1.2).
    public private(set) var oldConfigurationRetired = false
    /// attest_old_configuration_retired calls made from a slot other than activate (refused); the conformance kit reports them.
    public private(set) var misplacedRetirementStatements = 0

    public init(services: PluginHostServices?, slot: String = "") {
        self.services = services
        self.slot = slot
    }

    /// attest_old_configuration_retired: recorded during activate, refused (false) anywhere else.
    func stateOldConfigurationRetired() -> Bool {
        lock.withLock {
            guard slot == "activate" else {
                misplacedRetirementStatements += 1
                return false
            }
            oldConfigurationRetired = true
            return true
        }
    }

    func report(field: String, message: String) {
        let entry = ReportedError(field: Self.bounded(field, Int(OG_ERROR_FIELD_MAX)),
                                  message: Self.bounded(message, Int(OG_ERROR_MESSAGE_MAX)))
        lock.withLock { errors.append(entry) }
    }

    /// `text` cut to at most `limit` bytes of UTF-8 at a character boundary,
    /// marked as cut (og_plugin.h, ERRORS): a plugin must not be able to flood
    /// the operator's terminal or the audit record.
    static func bounded(_ text: String, _ limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        let marker = " (truncated)"
        var kept = ""
        var size = 0
        for character in text {
            let length = character.utf8.count
            if size + length + marker.utf8.count > limit { break }
            kept.append(character)
            size += length
        }
        return kept + marker
    }

    func record(_ level: PluginLogLevel, _ line: String) {
        lock.withLock { logLines.append((level, line)) }
        services?.log(level, line)
    }

    /// The og_call pointer handed to the plugin; valid while `body` runs.
    func withHandle<T>(_ body: (OpaquePointer) throws -> T) rethrows -> T {
        let handle = OpaquePointer(Unmanaged.passUnretained(self).toOpaque())
        LiveCalls.shared.insert(handle)
        defer { LiveCalls.shared.remove(handle) }
        return try body(handle)
    }

    /// The call behind a handle, or nil when the plugin passed something that is not a live call.
    static func from(_ handle: OpaquePointer?) -> PluginCall? {
        guard let handle, LiveCalls.shared.contains(handle) else { return nil }
        return Unmanaged<PluginCall>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }
}

/// The og_call handles currently inside a slot, so a stale or forged handle is
/// refused instead of dereferenced.
private final class LiveCalls: @unchecked Sendable {
    static let shared = LiveCalls()
    // Guarded by `lock`; calls may run on several threads.
    private var handles: Set<OpaquePointer> = []
    private let lock = Locked()
    func insert(_ handle: OpaquePointer) { _ = lock.withLock { handles.insert(handle) } }
    func remove(_ handle: OpaquePointer) { _ = lock.withLock { handles.remove(handle) } }
    func contains(_ handle: OpaquePointer) -> Bool { lock.withLock { handles.contains(handle) } }
}
