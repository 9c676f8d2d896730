import Foundation
import Glibc
import OGBasics
@testable import OGHost
import Testing

/// A growth signal the test sets: whether the CPUs have room for another worker.
final class FixedGrowth: WorkerGrowthSignal, @unchecked Sendable {
    private let lock = Locked()
    private var answer: Bool
    private var askedCount = 0
    /// Signalled each time the pool asks.
    let asked = DispatchSemaphore(value: 0)

    init(room: Bool) { answer = room }

    var room: Bool {
        get { lock.withLock { answer } }
        set { lock.withLock { answer = newValue } }
    }

    var timesAsked: Int { lock.withLock { askedCount } }

    func roomForAnotherWorker(_ live: [(processID: Int32, startedAt: ContinuousClock.Instant)],
                              now: ContinuousClock.Instant) -> Bool {
        let answer = lock.withLock {
            askedCount += 1
            return self.answer
        }
        asked.signal()
        return answer
    }
}

/// `JobWorkerPool` grows only while the growth signal says another worker can
/// help (`RunQueueWait` on Linux), driven with `cat` stand-ins and a signal the
/// test sets; and `RunQueueWait`/`SchedStat` on their own, with made-up and
/// real scheduler statistics. No wall-clock figure is asserted: "still
/// waiting" is read after the pool has asked the signal (it then cannot have
/// started anything) or, for the bound, after a short pause.
@Suite struct JobWorkerPoolGrowthTests {
    typealias Taken = JobWorkerPoolRampTests.Taken
    typealias Starts = JobWorkerPoolRampTests.Starts

    func takeElsewhere(_ pool: JobWorkerPool, _ starts: Starts) -> Taken {
        JobWorkerPoolRampTests().takeElsewhere(pool, starts)
    }

    @Test func aSaturatedSignalHoldsTheSecondJobUntilAWorkerComesBackAndAsksAgainMeanwhile() throws {
        let growth = FixedGrowth(room: false)
        let pool = JobWorkerPool(capacity: 4, maxJobs: 32, idle: .seconds(600), growth: growth, recheck: .milliseconds(5))
        let starts = Starts()
        defer { starts.stopAll() }
        // No worker alive: the first job starts one without asking.
        let first = try pool.take(start: starts.start)
        #expect(growth.timesAsked == 0)
        pool.started(first)

        let second = takeElsewhere(pool, starts)
        // Asked, told no, and asked again after its recheck: it starts nothing and keeps waiting.
        #expect(growth.asked.wait(timeout: .now() + 30) == .success)
        #expect(growth.asked.wait(timeout: .now() + 30) == .success)
        #expect(second.done.wait(timeout: .now()) == .timedOut)
        #expect(starts.count == 1)

        pool.giveBack(first)
        #expect(second.done.wait(timeout: .now() + 30) == .success)
        #expect(second.worker === first)
        #expect(starts.count == 1)
        #expect(pool.workersStarted == 1)
    }

    @Test func aSaturatedSignalRunsManyJobsOnOneWorkerAndEveryJobFinishes() throws {
        let growth = FixedGrowth(room: false)
        let pool = JobWorkerPool(capacity: 4, maxJobs: 32, idle: .seconds(600), growth: growth, recheck: .milliseconds(5))
        let starts = Starts()
        defer { starts.stopAll() }
        let done = DispatchGroup()
        let finished = Counter()
        for _ in 0..<4 {
            done.enter()
            DispatchQueue.global().async {
                defer { done.leave() }
                for _ in 0..<6 {
                    guard let worker = try? pool.take(start: starts.start) else { return }
                    pool.started(worker)
                    finished.add()
                    pool.giveBack(worker)
                }
            }
        }
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(finished.value == 24)
        // Only "no worker alive" starts one when the CPUs are saturated.
        #expect(starts.count == 1)
        #expect(pool.workersStarted == 1)
    }

    @Test func aJobHeldBackByTheSignalStartsAWorkerWhenTheLastOneDies() throws {
        let growth = FixedGrowth(room: false)
        let pool = JobWorkerPool(capacity: 4, maxJobs: 32, idle: .seconds(600), growth: growth, recheck: .milliseconds(5))
        let starts = Starts()
        defer { starts.stopAll() }
        let first = try pool.take(start: starts.start)
        pool.started(first)
        let second = takeElsewhere(pool, starts)
        #expect(growth.asked.wait(timeout: .now() + 30) == .success)
        #expect(starts.count == 1)
        first.process.kill()
        pool.discard(first)
        #expect(second.done.wait(timeout: .now() + 30) == .success)
        #expect(starts.count == 2)
        #expect(second.worker !== first)
    }

    @Test func aJobHeldBackStartsAWorkerOnceTheSignalSaysThereIsRoom() throws {
        let growth = FixedGrowth(room: false)
        let pool = JobWorkerPool(capacity: 4, maxJobs: 32, idle: .seconds(600), growth: growth, recheck: .milliseconds(5))
        let starts = Starts()
        defer { starts.stopAll() }
        let first = try pool.take(start: starts.start)
        pool.started(first)
        let second = takeElsewhere(pool, starts)
        #expect(growth.asked.wait(timeout: .now() + 30) == .success)
        #expect(starts.count == 1)
        // The load eased (or the busy worker went to sleep on the network): no worker came back, yet it starts one.
        growth.room = true
        #expect(second.done.wait(timeout: .now() + 30) == .success)
        #expect(starts.count == 2)
        #expect(second.worker !== first)
    }

    @Test func anIdleSignalGrowsThePoolOneStartAtATimeToItsBoundAndNoFurther() throws {
        let growth = FixedGrowth(room: true)
        let pool = JobWorkerPool(capacity: 3, maxJobs: 32, idle: .seconds(600), growth: growth)
        let starts = Starts()
        defer { starts.stopAll() }
        var workers: [JobWorkerPool.Worker] = []
        for expected in 1...3 {
            let worker = try pool.take(start: starts.start)
            #expect(starts.count == expected)
            pool.started(worker)
            workers.append(worker)
        }
        // Asked for the second and the third, not for the first (none alive).
        #expect(growth.timesAsked == 2)
        #expect(Set(workers.map { ObjectIdentifier($0) }).count == 3)

        // Three alive, the bound: a fourth job waits for one of them, whatever the signal says.
        let fourth = takeElsewhere(pool, starts)
        #expect(fourth.done.wait(timeout: .now() + 0.3) == .timedOut)
        #expect(starts.count == 3)
        pool.giveBack(workers[1])
        #expect(fourth.done.wait(timeout: .now() + 30) == .success)
        #expect(fourth.worker === workers[1])
        #expect(pool.workersStarted == 3)
    }

    // MARK: RunQueueWait

    /// Run-queue waits the test sets per process ID, and how often they were read.
    final class FakeDelays: @unchecked Sendable {
        var waited: [Int32: UInt64] = [:]
        var reads = 0
        func read(_ pid: Int32) -> UInt64? {
            reads += 1
            return waited[pid]
        }
    }

    @Test func runQueueWaitAddsUpEachWorkersShareOfTimeSpentWaitingForACPU() {
        let delays = FakeDelays()
        let signal = RunQueueWait(threshold: 0.5, window: .milliseconds(20), runDelay: delays.read)
        let t0 = ContinuousClock.now
        let ms: (Double) -> UInt64 = { UInt64($0 * 1_000_000) }

        // A new worker, 40 ms old, waited 30 ms of them: 0.75 of a worker queued — saturated.
        delays.waited[10] = ms(30)
        #expect(signal.roomForAnotherWorker([(10, t0)], now: t0 + .milliseconds(40)) == false)
        #expect(abs((signal.lastQueued ?? -1) - 0.75) < 1e-9)

        // Asked again within the window about the same workers: the same answer, nothing read.
        let reads = delays.reads
        #expect(signal.roomForAnotherWorker([(10, t0)], now: t0 + .milliseconds(50)) == false)
        #expect(delays.reads == reads)

        // Within the window, but a worker started 20 ms ago has joined: read again. 10 waited 1.5 ms of the
        // 15 ms since it was last read, 11 waited 2 ms of its 20: 0.1 + 0.1 — room.
        delays.waited[10] = ms(31.5)
        delays.waited[11] = ms(2)
        let both: [(processID: Int32, startedAt: ContinuousClock.Instant)] = [(10, t0), (11, t0 + .milliseconds(35))]
        #expect(signal.roomForAnotherWorker(both, now: t0 + .milliseconds(55)) == true)
        #expect(delays.reads == reads + 2)
        #expect(abs((signal.lastQueued ?? -1) - 0.2) < 1e-9)

        // Both waited 12 ms of the next 40: 0.3 + 0.3 — two workers, each often queued, are saturated together.
        delays.waited[10] = ms(43.5)
        delays.waited[11] = ms(14)
        #expect(signal.roomForAnotherWorker(both, now: t0 + .milliseconds(95)) == false)
        #expect(abs((signal.lastQueued ?? -1) - 0.6) < 1e-9)

        // A thread of 10 ended, taking its share along (the sum fell): that window counts as nothing waited.
        delays.waited[10] = ms(20)
        delays.waited[11] = ms(15)
        #expect(signal.roomForAnotherWorker(both, now: t0 + .milliseconds(135)) == true)
        #expect(abs((signal.lastQueued ?? -1) - 0.025) < 1e-9)

        // Nothing readable (no /proc, no such statistics, every worker gone): room, as without the signal.
        delays.waited = [:]
        #expect(signal.roomForAnotherWorker(both, now: t0 + .milliseconds(175)) == true)
        #expect(signal.lastQueued == nil)
    }

    // MARK: SchedStat

    @Test func schedStatParsesThreeUnsignedDecimalsAndRefusesAnythingElse() {
        #expect(SchedStat.parse(Array("262752581 89622290 1478\n".utf8))
                == SchedStat.Fields(onCPU: 262_752_581, waiting: 89_622_290, slices: 1478))
        #expect(SchedStat.parse(Array("0 0 0".utf8)) == SchedStat.Fields(onCPU: 0, waiting: 0, slices: 0))
        #expect(SchedStat.parse(Array("18446744073709551615 1 2\n".utf8))?.onCPU == UInt64.max)
        for garbage in ["", "\n", "1 2", "1 2 3 4", "1  2 3", " 1 2 3", "1 2 3 ", "1 2 3\n\n", "-1 2 3", "+1 2 3",
                        "a 2 3", "1\t2 3", "1 2 3x", "18446744073709551616 0 0", "000000000000000000001 0 0", "1 2\n3"] {
            #expect(SchedStat.parse(Array(garbage.utf8)) == nil, "\(garbage.debugDescription)")
        }
    }

    @Test func schedStatReadsThisProcessesRealStatisticsAndSumsItsThreads() throws {
        // Real /proc: the kernel's own files for this (multi-threaded) test process parse.
        // The main thread's figure first: the sum read after it can only be larger.
        let mainThread = try #require(SchedStat.parse(try Array(Data(contentsOf: URL(fileURLWithPath: "/proc/self/schedstat")))))
        let own = try #require(SchedStat.runDelay(ofProcess: getpid()))
        #expect(own >= mainThread.waiting)
        // A process ID above pid_max never exists.
        let pidMax = try #require(Int32(String(decoding: try Data(contentsOf: URL(fileURLWithPath: "/proc/sys/kernel/pid_max")),
                                               as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(SchedStat.runDelay(ofProcess: pidMax + 1) == nil)
    }

    @Test func schedStatSumsEveryThreadsFileOfAProcessAndRefusesAGarbledOne() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("og-schedstat-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        func thread(_ tid: String, _ text: String) throws {
            let directory = root.appendingPathComponent("42/task/\(tid)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: directory.appendingPathComponent("schedstat"))
        }
        try thread("42", "100 7 3\n")
        try thread("43", "200 5 9\n")
        // Not a thread: skipped.
        try FileManager.default.createDirectory(at: root.appendingPathComponent("42/task/notes"), withIntermediateDirectories: true)
        #expect(SchedStat.runDelay(ofProcess: 42, proc: root.path) == 12)
        // No such process.
        #expect(SchedStat.runDelay(ofProcess: 41, proc: root.path) == nil)
        try thread("44", "200 five 9\n")
        #expect(SchedStat.runDelay(ofProcess: 42, proc: root.path) == nil)
        try thread("44", String(repeating: "1", count: 200))
        #expect(SchedStat.runDelay(ofProcess: 42, proc: root.path) == nil)
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = Locked()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
