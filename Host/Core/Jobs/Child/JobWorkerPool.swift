import Foundation
import OGBasics

/// The workers of a pooled launcher (`EndpointJobLauncher.pooled`): idle
/// ones wait here between jobs; at most `capacity` are alive.
///
/// A job takes an idle worker when there is one. Otherwise it starts a new
/// worker only when all of these hold, and else waits:
/// - no other start is in flight (a start ends when the new worker takes its
///   first job, or dies): workers ramp up one at a time;
/// - fewer than `capacity` (the caller's `--parallel`) are alive;
/// - `growth` says one more can help: the CPUs are not already saturated
///   (`RunQueueWait`: the live workers hardly wait for a CPU). It is not asked
///   when no worker is alive: a waiting job always has one.
/// A waiting job is woken by a worker given back idle, a worker discarded, or
/// the start in flight ending, and a job held back by `growth` alone asks again
/// every `recheck` (the load may have eased; a slow endpoint's job may have
/// gone to sleep on the network). Every wake-up is certain: a start ends when
/// its worker takes its job or dies (at worst at the job's timeout), and a job
/// waits only while some worker is alive, which gives its job back or dies.
///
/// Why: a worker start costs ~55 ms of CPU (exec, dynamic linking, the Swift
/// runtime's first conformance look-ups, OpenSSL's set-up: ~120 M
/// instructions) plus an SSH login on the endpoint's side, against a few ms
/// of CPU for a job on a worker's kept login. When the jobs are quick and the
/// CPUs busy (issue 11's bench: 50 loopback endpoints, `--parallel 10`, the
/// sshd on the same 2 cores) more workers only queue behind each other, and
/// each one's start and login are pure cost: every worker started there was
/// ~10 % of the fan-out's CPU. When jobs wait on slow endpoints, the workers
/// sleep, their CPUs stay free, and the pool grows to `capacity` one start
/// after another as before. Crashes, timeouts and garbage answers are read
/// exactly as before; such a worker is discarded, which also ends its start
/// if it had not taken a job yet.
final class JobWorkerPool: @unchecked Sendable {
    /// One `og-host job worker` and how many jobs it has answered.
    final class Worker: @unchecked Sendable {
        let process: RunningProcess
        /// When the pool started it (its scheduler statistics count from there).
        let startedAt: ContinuousClock.Instant
        var jobsDone = 0
        var idleSince = ContinuousClock.now
        /// Started and not yet seen taking a job (under the pool's lock).
        var starting = false

        init(_ process: RunningProcess, startedAt: ContinuousClock.Instant) {
            self.process = process
            self.startedAt = startedAt
        }
    }

    let capacity: Int
    let maxJobs: Int
    let idle: Duration
    /// How often a job held back by `growth` alone asks it again.
    let recheck: Duration
    /// Guards everything below; jobs waiting for a worker (see above) wait on it.
    private let lock = NSCondition()
    private let growth: any WorkerGrowthSignal
    private var idleWorkers: [Worker] = []
    /// Every worker alive (busy, starting or idle), for `growth`.
    private var liveWorkers: [Worker] = []
    /// Workers alive or being started.
    private var alive = 0
    /// Workers started and not yet seen taking a job: 0 or 1.
    private var starting = 0
    /// Workers started in all (figures, tests).
    private var startCount = 0

    /// `growth`: by default how long the live workers wait for a CPU (`RunQueueWait`).
    init(capacity: Int, maxJobs: Int, idle: Duration, growth: (any WorkerGrowthSignal)? = nil,
         recheck: Duration = .milliseconds(25)) {
        self.capacity = max(1, capacity)
        self.maxJobs = maxJobs
        self.idle = idle
        self.growth = growth ?? RunQueueWait()
        self.recheck = recheck
    }

    /// An idle worker that will still take a job, or a new one from `start`
    /// when the rules above allow it (else it waits).
    func take(start: () throws -> RunningProcess) throws -> Worker {
        let reused: Worker? = lock.withLock {
            while true {
                while let worker = idleWorkers.popLast() {
                    // One near its idle bound may be exiting right now: let it go rather than race it.
                    if worker.process.hasExited || ContinuousClock.now - worker.idleSince > idle / 2 {
                        retire(worker)
                        continue
                    }
                    return worker
                }
                if alive == 0 { break }
                if starting == 0 && alive < capacity {
                    let now = ContinuousClock.now
                    if growth.roomForAnotherWorker(liveWorkers.map { ($0.process.processID, $0.startedAt) }, now: now) {
                        break
                    }
                    // The CPUs are saturated: wait for a worker to come back, and ask again in a while.
                    _ = lock.wait(until: Date(timeIntervalSinceNow: recheck.seconds))
                    continue
                }
                // Woken by a worker given back, a start ending, or a worker discarded; never waits on nothing:
                // some worker is alive, and it gives its job back or dies (at worst at its job's timeout).
                lock.wait()
            }
            alive += 1
            starting += 1
            startCount += 1
            return nil
        }
        if let reused { return reused }
        let startedAt = ContinuousClock.now
        let process: RunningProcess
        do {
            process = try start()
        } catch {
            lock.withLock {
                alive -= 1
                starting -= 1
                lock.broadcast()
            }
            throw error
        }
        let worker = Worker(process, startedAt: startedAt)
        lock.withLock {
            worker.starting = true
            liveWorkers.append(worker)
        }
        return worker
    }

    /// Starts one worker before any job asks for it (`EndpointJobLauncher.startWorkerAhead`),
    /// when none is alive: it waits idle, still counted as a start in flight until it takes
    /// a job, and the first `take` finds it. A start that fails is forgotten: the first
    /// `take` then starts one itself and reports the failure to its job.
    func startAhead(start: () throws -> RunningProcess) {
        let go: Bool = lock.withLock {
            guard alive == 0 else { return false }
            alive += 1
            starting += 1
            startCount += 1
            return true
        }
        guard go else { return }
        let startedAt = ContinuousClock.now
        guard let process = try? start() else {
            lock.withLock {
                alive -= 1
                starting -= 1
                startCount -= 1
                lock.broadcast()
            }
            return
        }
        let worker = Worker(process, startedAt: startedAt)
        lock.withLock {
            worker.starting = true
            worker.idleSince = .now
            liveWorkers.append(worker)
            idleWorkers.append(worker)
            lock.broadcast()
        }
    }

    /// `worker` took its first job: its start is over, and a job waiting for a worker may start the next one.
    func started(_ worker: Worker) {
        lock.withLock { endStart(worker) }
    }

    /// A worker that answered its job: kept for the next one, or let go when
    /// it has run its share (it exits by itself then) or more are alive than wanted.
    func giveBack(_ worker: Worker) {
        worker.jobsDone += 1
        lock.withLock {
            endStart(worker)
            if worker.jobsDone >= maxJobs || alive > capacity || worker.process.hasExited {
                retire(worker)
            } else {
                worker.idleSince = ContinuousClock.now
                idleWorkers.append(worker)
            }
            lock.broadcast()
        }
    }

    /// A worker that is dead (or killed): forgotten.
    func discard(_ worker: Worker) {
        lock.withLock {
            endStart(worker)
            forget(worker)
            lock.broadcast()
        }
    }

    /// Under `lock`.
    private func endStart(_ worker: Worker) {
        guard worker.starting else { return }
        worker.starting = false
        starting -= 1
        lock.broadcast()
    }

    /// Closes every idle worker's input: each exits.
    func drain() {
        lock.withLock {
            for worker in idleWorkers { retire(worker) }
            idleWorkers = []
        }
    }

    /// Under `lock`. (A worker started ahead can be retired before it took a job: its start ends too.)
    private func retire(_ worker: Worker) {
        worker.process.closeInput()
        endStart(worker)
        forget(worker)
    }

    /// Under `lock`.
    private func forget(_ worker: Worker) {
        alive -= 1
        liveWorkers.removeAll { $0 === worker }
    }

    /// The process IDs of the idle workers (tests).
    var idleProcessIDs: [Int32] { lock.withLock { idleWorkers.map(\.process.processID) } }

    /// The process IDs of every live worker, in the order they were started (tests).
    var workersStartedProcessIDs: [Int32] { lock.withLock { liveWorkers.map(\.process.processID) } }

    /// Whether an idle worker's process has ended (tests).
    var idleWorkerHasExited: Bool { lock.withLock { idleWorkers.contains { $0.process.hasExited } } }

    /// How many workers this pool has started.
    var workersStarted: Int { lock.withLock { startCount } }
}
