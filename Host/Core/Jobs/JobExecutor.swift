import Dispatch

/// Where an endpoint job's code runs. A job is mostly blocking calls —
/// plugin slots (synchronous C calls), SSH/SFTP, the commands plugins run,
/// TLS handshakes, SQLite — with waits in between (a busy endpoint's lease,
/// a reload settling before the new certificate is served). Swift's
/// cooperative pool has one thread per core, two on a small gateway: a job
/// blocking there would stall every other task of the process, among them
/// the lease heartbeats that keep other jobs' endpoints theirs.
///
/// So a job prefers its own executor (`withTaskExecutorPreference`): a serial
/// Dispatch queue, which borrows a thread from Dispatch's overcommitting pool
/// (not the cooperative one) while the job has work, and holds none while the
/// job waits in `Task.sleep`. Everything the job calls that is not isolated
/// to an actor runs there, so the plugin and connection code stays
/// synchronous and unchanged, and the waits between its steps are
/// suspensions. One job's steps run one after the other, as the plugin ABI
/// expects of a job (an `og_call` belongs to one thread at a time).
final class JobExecutor: TaskExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Runs `body` on a new executor of its own named `label` (seen in thread
    /// names while it runs).
    static func run<Result>(label: String, _ body: () async throws -> Result) async throws -> Result {
        try await withTaskExecutorPreference(JobExecutor(label: label), operation: body)
    }
}

/// A pause that a cancelled task still waits out. A rollback's last check
/// (is the previous certificate served again?) must not be cut short because
/// the job that failed was being cancelled.
func uncancellableSleep(_ duration: Duration) async {
    let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { continuation.resume() }
    }
}
