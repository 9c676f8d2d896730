/// The arenas of results handed to the host, by the result's address, until
/// the host gives each back through the `release` slot.
///
/// `describe` and `release` may run on any thread at any time, so every
/// access goes through one lock.
final class ResultRegistry: Sendable {
    static let shared = ResultRegistry()

    private struct State {
        var arenas: [UInt: Arena] = [:]
        /// Releases of pointers this plugin never returned (or already took
        /// back). Ignored so a confused host cannot crash the process, but
        /// counted so a debugger or a test can see them.
        var unknownReleases = 0
    }

    private let state = Locked(State())

    /// Keeps `arena` alive until `result` is released.
    func adopt(_ arena: Arena, for result: UnsafeMutableRawPointer) {
        state.withLock { $0.arenas[UInt(bitPattern: result)] = arena }
    }

    func release(_ result: UnsafeMutableRawPointer?) {
        guard let result else { return }
        let arena: Arena? = state.withLock { state in
            let arena = state.arenas.removeValue(forKey: UInt(bitPattern: result))
            if arena == nil { state.unknownReleases += 1 }
            return arena
        }
        // The arena's memory is freed here, outside the lock, when the last reference drops.
        _ = arena
    }

    func isLive(_ result: UnsafeRawPointer) -> Bool {
        state.withLock { $0.arenas[UInt(bitPattern: result)] != nil }
    }

    var unknownReleaseCount: Int {
        state.withLock { $0.unknownReleases }
    }
}
