#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value reachable only while holding its mutex: the SDK's one lock
/// (OGPluginKit and OGPluginTesting), the same as the host's `Locked` in
/// OGBasics, which plugins do not link.
///
/// The kit avoids Foundation (a plugin that imports it pays for it at load
/// time), so this wraps a heap-allocated pthread mutex directly; a heap
/// allocation keeps the mutex's address stable, which pthreads requires.
package final class Locked<Value>: @unchecked Sendable {
    // @unchecked is sound: `value` is read and written only inside
    // `withLock`, which holds `mutex` for the whole access.
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
