import Glibc

/// A value reachable only while holding its lock: og-host's one mutual-exclusion
/// type (docs/ARCHITECTURE.md, "Decisions"). Keep the guarded state inside it
/// (`Locked([Key: Entry]())`, then `withLock { $0[key] }`); `Locked()` holds
/// nothing and serialises an action instead (one plugin call at a time, one
/// request on a session) or guards state that must live outside it, such as what
/// signal handlers read.
///
/// A pthread mutex rather than the standard library's `Synchronization.Mutex`
/// (the same shape): the Foundation-free `og-host plugins list` links this
/// module, and mapping libswiftSynchronization costs that start ~0.25 M
/// instructions. Not recursive: taking it again on the same thread deadlocks.
/// Threads that wait for a condition use `NSCondition`, not this.
public final class Locked<Value>: @unchecked Sendable {
    // @unchecked is sound: `value` is read and written only inside `withLock`,
    // which holds `mutex` for the whole access. A heap allocation keeps the
    // mutex's address stable, which pthreads requires.
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<Result, E: Error>(_ body: (inout Value) throws(E) -> Result) throws(E) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

extension Locked where Value == Void {
    /// A lock guarding no value of its own.
    public convenience init() {
        self.init(())
    }

    public func withLock<Result, E: Error>(_ body: () throws(E) -> Result) throws(E) -> Result {
        try withLock { (_: inout Void) throws(E) -> Result in try body() }
    }
}
