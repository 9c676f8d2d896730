import Foundation
import OGBasics
@testable import OGHost
import Testing

/// `JobWorkerPool.startAhead`: a worker started before any job asks (a single
/// `tls install` starts it while it still checks and parses its input) is the
/// one the first job gets, counts as the start in flight until it takes a job,
/// and leaves the pool's counts right whether it is used, dies unused or is
/// drained unused. Driven with `cat` stand-ins, as the ramp tests are.
@Suite struct JobWorkerPoolAheadTests {
    typealias Taken = JobWorkerPoolRampTests.Taken
    typealias Starts = JobWorkerPoolRampTests.Starts

    struct StartFailed: Error {}

    func pool(capacity: Int = 2) -> JobWorkerPool {
        JobWorkerPool(capacity: capacity, maxJobs: 32, idle: .seconds(600), growth: FixedGrowth(room: true))
    }

    @Test func theFirstJobGetsTheWorkerStartedAheadAndItsStartEndsWhenItTakesTheJob() throws {
        let pool = pool()
        let starts = Starts()
        defer { starts.stopAll() }
        pool.startAhead(start: starts.start)
        #expect(starts.count == 1)
        #expect(pool.idleProcessIDs.count == 1)

        let first = try pool.take(start: starts.start)
        #expect(starts.count == 1, "the job took the worker started ahead")
        #expect(first.process.processID == pool.workersStartedProcessIDs.first)
        // Until it takes its job it is the start in flight: a second job waits rather than start another.
        let second = JobWorkerPoolRampTests().takeElsewhere(pool, starts)
        #expect(second.done.wait(timeout: .now() + .milliseconds(200)) == .timedOut)
        #expect(starts.count == 1)
        pool.started(first)
        #expect(second.done.wait(timeout: .now() + 30) == .success)
        #expect(starts.count == 2)
        #expect(pool.workersStarted == 2)
    }

    @Test func aPoolWithAWorkerAliveStartsNothingAhead() throws {
        let pool = pool()
        let starts = Starts()
        defer { starts.stopAll() }
        pool.startAhead(start: starts.start)
        pool.startAhead(start: starts.start)
        #expect(starts.count == 1)
        let worker = try pool.take(start: starts.start)
        pool.started(worker)
        pool.giveBack(worker)
        pool.startAhead(start: starts.start)
        #expect(starts.count == 1)
        #expect(pool.workersStarted == 1)
    }

    @Test func aWorkerStartedAheadThatDiedIsReplacedAndItsStartEnds() throws {
        let pool = pool(capacity: 2)
        let starts = Starts()
        defer { starts.stopAll() }
        pool.startAhead(start: starts.start)
        let ahead = try #require(pool.idleProcessIDs.first)
        kill(ahead, SIGKILL)
        // The pool sees it gone once the process is reaped; wait for that rather than a fixed time.
        for _ in 0..<3000 where !(pool.idleWorkerHasExited) { usleep(10_000) }
        #expect(pool.idleWorkerHasExited)

        try expectGrowsToTwo(pool, starts, startedBefore: 1)
        #expect(!pool.workersStartedProcessIDs.contains(ahead))
    }

    @Test func aWorkerStartedAheadAndDrainedUnusedLeavesThePoolAsNew() throws {
        let pool = pool(capacity: 2)
        let starts = Starts()
        defer { starts.stopAll() }
        pool.startAhead(start: starts.start)
        pool.drain()
        #expect(pool.idleProcessIDs.isEmpty)
        try expectGrowsToTwo(pool, starts, startedBefore: 1)
    }

    /// No start left in flight: a job starts a worker, and once that one took its job a
    /// second job starts another instead of waiting for one to come back.
    func expectGrowsToTwo(_ pool: JobWorkerPool, _ starts: Starts, startedBefore: Int) throws {
        let first = try pool.take(start: starts.start)
        pool.started(first)
        let second = JobWorkerPoolRampTests().takeElsewhere(pool, starts)
        #expect(second.done.wait(timeout: .now() + 30) == .success, "a start of the unused worker was left in flight")
        #expect(second.worker != nil && second.worker !== first)
        #expect(starts.count == startedBefore + 2)
    }

    @Test func aStartAheadThatFailsIsForgottenAndTheFirstJobStartsItsOwn() throws {
        let pool = pool(capacity: 1)
        let starts = Starts()
        defer { starts.stopAll() }
        pool.startAhead { throw StartFailed() }
        #expect(pool.workersStarted == 0)
        #expect(pool.idleProcessIDs.isEmpty)
        let worker = try pool.take(start: starts.start)
        #expect(starts.count == 1)
        pool.started(worker)
        #expect(pool.workersStarted == 1)
    }
}
