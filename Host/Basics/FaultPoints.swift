import Glibc

/// Test-only crash points. Unset in production, where `reach` costs one
/// branch on a value read once.
///
/// `OG_FAULT_INJECT` chooses where the process dies abruptly (exit 70, no
/// clean-up, the way a crash or `kill -9` would leave things):
/// - `NAME`: at the point named NAME (`after-write`, `before-activate`, ...);
/// - `NAME:hang`: stop there (threads such as the lease heartbeat go on)
///   until the test kills the process;
/// - `NAME:pause` with `OG_FAULT_RESUME=FILE`: create `FILE.reached` (and
///   `FILE.reached.PID`) there and wait until FILE exists, then go on (the
///   test changes the world in between, e.g. drops the SSH connection);
/// - `step:N`: at the N-th point reached, whatever its name. Every side effect
///   of an install on an endpoint (each journal state, each file written,
///   the moment an atomic write's temporary is complete but not yet renamed,
///   each removal, each command) has a point before and after it, so a test
///   that runs `step:1`, `step:2`, ... until an install completes has killed
///   it between every two things it does (`FaultInjectionHarnessTests`).
/// The process writes `og-host: fault injected at step N (NAME)` on standard
/// error before dying.
public enum FaultPoints {
    private static let setting: String? = EnvironmentVariable.value("OG_FAULT_INJECT")
    private static let counter = Counter()

    /// Whether any fault is armed in this process.
    public static var isArmed: Bool { setting != nil }

    /// The exit status of a process that stopped at a fault.
    public static let exitStatus: Int32 = 70

    /// Whether a child og-host that ended with `exitStatus` and wrote
    /// `standardError` stopped at a fault injected here (a parent whose job
    /// child did may stop the same way; only while a fault is armed).
    public static func endedAtFault(exitStatus: Int32, standardError: String) -> Bool {
        isArmed && exitStatus == Self.exitStatus && standardError.contains("og-host: fault injected at step ")
    }

    /// Starts counting `step:N` from 1 again: a process that runs several jobs
    /// one after another (`og-host job worker`) calls it before each job after
    /// its first, so N names the same point of every job as in a process of its own.
    public static func restartCount() {
        counter.reset()
    }

    /// Dies here if `OG_FAULT_INJECT` says so.
    public static func reach(_ name: String) {
        guard let setting else { return }
        let step = counter.next()
        if setting == name || setting == "step:\(step)" {
            StandardStreams.error("og-host: fault injected at step \(step) (\(name))\n")
            _exit(exitStatus)
        }
        if setting == name + ":pause", let resume = EnvironmentVariable.value("OG_FAULT_RESUME") {
            // The test does something to the world (drops the connection, fills
            // the disk) while the job waits, then lets it go on.
            // `.reached.PID` too, so a test pausing several processes (a daemon's parallel jobs) can count and name them.
            for marker in [resume + ".reached.\(getpid())", resume + ".reached"] {
                let fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                if fd >= 0 { close(fd) }
            }
            while access(resume, F_OK) != 0 { usleep(20_000) }
            return
        }
        if setting == name + ":hang" {
            StandardStreams.error("og-host: fault injected at step \(step) (\(name)): hanging\n")
            while true { sleep(60) }
        }
    }

    private final class Counter: Sendable {
        private let value = Locked(0)
        func reset() { value.withLock { $0 = 0 } }
        func next() -> Int {
            value.withLock { value in
                value += 1
                return value
            }
        }
    }
}
