import Foundation
import OGBasics
@testable import OGHost
import Testing

/// `JobWorkerPool`'s ramp, driven directly with `cat` as stand-in workers:
/// a job finding no idle worker starts one only when no other start is in
/// flight, and otherwise waits for a worker given back or that start to end.
/// "Still waiting" is read after a short pause: a pool that started workers
/// at once would have returned by then.
@Suite struct JobWorkerPoolRampTests {
    /// What a job taken on another thread got.
    final class Taken: @unchecked Sendable {
        var worker: JobWorkerPool.Worker?
        let done = DispatchSemaphore(value: 0)
    }

    final class Starts: @unchecked Sendable {
        private let lock = Locked()
        private var processes: [RunningProcess] = []
        var count: Int { lock.withLock { processes.count } }

        func start() throws -> RunningProcess {
            let process = try RunningProcess.start("/bin/cat", [])
            lock.withLock { processes.append(process) }
            return process
        }

        func stopAll() {
            for process in lock.withLock({ processes }) {
                process.kill()
                process.awaitExit()
            }
        }
    }

    func takeElsewhere(_ pool: JobWorkerPool, _ starts: Starts) -> Taken {
        let taken = Taken()
        DispatchQueue.global().async {
            taken.worker = try? pool.take(start: starts.start)
            taken.done.signal()
        }
        return taken
    }

    @Test func aJobWaitsForTheStartInFlightThenStartsTheNextWorkerOrReusesOneGivenBack() throws {
        // The CPUs never saturated (JobWorkerPoolGrowthTests holds the pool back): only the ramp decides.
        let pool = JobWorkerPool(capacity: 4, maxJobs: 32, idle: .seconds(600), growth: FixedGrowth(room: true))
        let starts = Starts()
        defer { starts.stopAll() }
        let first = try pool.take(start: starts.start)
        #expect(starts.count == 1)

        // The first worker has not taken its job yet: a second job waits instead of starting a worker.
        let second = takeElsewhere(pool, starts)
        #expect(second.done.wait(timeout: .now() + 0.3) == .timedOut)
        #expect(starts.count == 1)
        pool.started(first)
        #expect(second.done.wait(timeout: .now() + 30) == .success)
        #expect(starts.count == 2)
        let secondWorker = try #require(second.worker)
        #expect(secondWorker !== first)

        // The second worker's start is in flight: a third job waits, and gets the first worker when it is given back.
        let third = takeElsewhere(pool, starts)
        #expect(third.done.wait(timeout: .now() + 0.3) == .timedOut)
        pool.giveBack(first)
        #expect(third.done.wait(timeout: .now() + 30) == .success)
        #expect(third.worker === first)
        #expect(starts.count == 2)

        // A start that ends with its worker dead lets a waiting job start the next one.
        let fourth = takeElsewhere(pool, starts)
        #expect(fourth.done.wait(timeout: .now() + 0.3) == .timedOut)
        secondWorker.process.kill()
        pool.discard(secondWorker)
        #expect(fourth.done.wait(timeout: .now() + 30) == .success)
        #expect(starts.count == 3)
        #expect(fourth.worker !== first && fourth.worker !== secondWorker)
    }
}
