import Foundation
import OGBasics

/// Runs the same work on several threads that start together, for the
/// checks that a plugin's thread-safety promises hold.
enum ConcurrentCalls {
    /// Calls `work(threadIndex)` on `threads` new threads released at once; returns the results in thread order.
    static func run<T: Sendable>(threads: Int, _ work: @escaping @Sendable (Int) -> T) -> [T] {
        let results = Collected<T>(count: threads)
        let ready = DispatchGroup()
        let done = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for index in 0..<threads {
            ready.enter()
            done.enter()
            let thread = Thread {
                ready.leave()
                start.wait()
                results.store(work(index), at: index)
                done.leave()
            }
            thread.start()
        }
        ready.wait()
        for _ in 0..<threads { start.signal() }
        done.wait()
        return results.values
    }
}

private final class Collected<T: Sendable>: @unchecked Sendable {
    // Guarded by `lock`; each worker writes its own slot once.
    private var slots: [T?]
    private let lock = Locked()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func store(_ value: T, at index: Int) { lock.withLock { slots[index] = value } }
    var values: [T] { lock.withLock { slots.compactMap { $0 } } }
}
