import Foundation
import Glibc

/// Whether one more job worker can make a pool's jobs go faster now
/// (`JobWorkerPool`). Asked under the pool's lock, only when a job waits, no
/// worker is idle, no start is in flight, and fewer than the bound are alive.
protocol WorkerGrowthSignal: AnyObject {
    /// `live`: every live worker's process ID and the instant the pool started it.
    func roomForAnotherWorker(_ live: [(processID: Int32, startedAt: ContinuousClock.Instant)],
                              now: ContinuousClock.Instant) -> Bool
}

/// The pool's growth rule on Linux: another worker helps unless the live
/// workers already wait for a CPU. Over the last window (at least `window`
/// since the previous answer; a new worker's since its start) it adds up,
/// per live worker, the share of that time its threads spent runnable but
/// waiting on a run queue (`/proc/PID/task/TID/schedstat`, second field,
/// which the scheduler keeps for every task): the average number of our
/// workers kept from running for want of a CPU. At `threshold` (half a
/// worker) or more the CPUs are saturated — by our own jobs, the endpoints'
/// processes on this machine, or anything else — and a new worker would only
/// add its start and its login to the queue. Workers waiting on the network
/// sleep, which counts as nothing, so slow fleets grow the pool as before.
/// Reacts within tens of milliseconds, unlike the load average (`make -l`).
/// Where the statistics cannot be read (no /proc, a kernel without them) it
/// always answers yes: the pool grows as it did without it.
final class RunQueueWait: WorkerGrowthSignal {
    /// Half a worker waiting on average: see above.
    static let defaultThreshold = 0.5
    static let defaultWindow: Duration = .milliseconds(50)

    let threshold: Double
    let window: Duration
    /// A process's run-queue wait in ns so far (`SchedStat.runDelay`), nil when unreadable.
    private let runDelay: (Int32) -> UInt64?
    private var baselines: [Int32: (waited: UInt64, at: ContinuousClock.Instant)] = [:]
    /// The last answer, for the workers it was about.
    private var verdict: (room: Bool, at: ContinuousClock.Instant, workers: [Int32])?
    /// The last sum measured (nil when nothing could be read), for tests.
    private(set) var lastQueued: Double?

    init(threshold: Double = defaultThreshold, window: Duration = defaultWindow,
         runDelay: @escaping (Int32) -> UInt64? = { SchedStat.runDelay(ofProcess: $0) }) {
        self.threshold = threshold
        self.window = window
        self.runDelay = runDelay
    }

    func roomForAnotherWorker(_ live: [(processID: Int32, startedAt: ContinuousClock.Instant)],
                              now: ContinuousClock.Instant) -> Bool {
        // Several waiting jobs ask at once: one reading per window, unless a worker came or went (a start
        // that just ended is judged with the new worker, over its start).
        let workers = live.map(\.processID)
        if let verdict, now - verdict.at < window, verdict.workers == workers { return verdict.room }
        var queued = 0.0
        var measured = false
        var next: [Int32: (waited: UInt64, at: ContinuousClock.Instant)] = [:]
        for worker in live {
            guard let waited = runDelay(worker.processID) else { continue }
            // A new worker's threads started with nothing waited.
            let base = baselines[worker.processID] ?? (0, worker.startedAt)
            let span = (now - base.at).seconds
            // A thread that ended takes its share with it: that window counts as nothing waited.
            if span > 0, waited >= base.waited {
                queued += Double(waited - base.waited) / 1e9 / span
                measured = true
            }
            next[worker.processID] = (waited, now)
        }
        baselines = next
        lastQueued = measured ? queued : nil
        let room = !measured || queued < threshold
        verdict = (room, now, workers)
        return room
    }
}

/// Linux's per-task scheduler statistics (`/proc/PID/task/TID/schedstat`):
/// three decimal numbers — ns on a CPU, ns waiting runnable on a run queue,
/// timeslices run.
enum SchedStat {
    struct Fields: Equatable {
        var onCPU: UInt64
        var waiting: UInt64
        var slices: UInt64
    }

    /// The three fields, or nil for anything but three unsigned decimals
    /// (no sign, at most 20 digits, no overflow) separated by single spaces,
    /// with at most one newline after them.
    static func parse<Bytes: Collection>(_ bytes: Bytes) -> Fields? where Bytes.Element == UInt8 {
        var text = Array(bytes)
        if text.last == 0x0a { text.removeLast() }
        let parts = text.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var numbers: [UInt64] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 20 else { return nil }
            var value: UInt64 = 0
            for byte in part {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                let (times10, over1) = value.multipliedReportingOverflow(by: 10)
                let (sum, over2) = times10.addingReportingOverflow(UInt64(byte - 0x30))
                guard !over1, !over2 else { return nil }
                value = sum
            }
            numbers.append(value)
        }
        return Fields(onCPU: numbers[0], waiting: numbers[1], slices: numbers[2])
    }

    /// How long the threads of process `pid` have waited, runnable, for a CPU
    /// (ns, summed over its live threads), or nil when that cannot be read (the
    /// process is gone, no such statistics) or a file is not what it should be.
    static func runDelay(ofProcess pid: Int32, proc: String = "/proc") -> UInt64? {
        let tasks = "\(proc)/\(pid)/task"
        guard let directory = opendir(tasks) else { return nil }
        defer { closedir(directory) }
        var total: UInt64 = 0
        var read = false
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { continue }
            guard let bytes = smallFile("\(tasks)/\(name)/schedstat") else {
                // The thread ended since the listing: it no longer counts.
                if errno == ENOENT || errno == ESRCH { continue }
                return nil
            }
            guard let fields = parse(bytes) else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(fields.waiting)
            guard !overflow else { return nil }
            total = sum
            read = true
        }
        return read ? total : nil
    }

    /// A /proc file's bytes (at most 127), or nil with errno set.
    private static func smallFile(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 128)
        var filled = 0
        while filled < buffer.count {
            let got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            if got == 0 { break }
            if got < 0 {
                if errno == EINTR { continue }
                return nil
            }
            filled += got
        }
        // A file filling the buffer is not a schedstat line.
        guard filled < buffer.count else { errno = EINVAL; return nil }
        return Array(buffer[..<filled])
    }
}
