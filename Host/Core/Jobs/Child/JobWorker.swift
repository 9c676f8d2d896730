import Foundation
import OGBasics
import OGConnections

/// The child side of a pooled endpoint job (`og-host job worker`): a
/// long-lived og-host that runs jobs ONE AT A TIME, each through
/// `EndpointJobRunner` exactly as `og-host job run` does, keeping its
/// `Gateway` (inventory, loaded and verified plugins) from one job to the
/// next, so a fan-out pays a process start, the dynamic loader, argument
/// parsing, the inventory open and the plugin load once per worker instead of
/// once per endpoint, and jobs on endpoints reached over the same SSH login
/// share one connection (`SSHConnectionPool`).
///
/// The exchange with `EndpointJobLauncher` (its pool):
/// - in, on standard input, one frame per job: `"OGJW"` length(u32, big-endian)
///   then the `JobInput` bytes (the spec's JSON line and, for `materialOnInput`,
///   the key and chain). Key material travels only on this pipe and is wiped
///   here once parsed (`JobInput.decode`), as in `job run`;
/// - out, on standard output, `{"og_job_taken":N}` when the worker has read
///   job N (before that line the launcher may give the job to another worker:
///   the worker never started it), then the job's `JobOutcome` as one JSON
///   line; on standard error the job's progress and log lines, and what
///   `PluginSlotWatch` says when plugin code takes the process down. The
///   worker's own standard output is pointed at standard error, so a plugin
///   printing there writes a log line, not a garbled answer.
///
/// It exits when standard input closes (its launcher is done or dead), after
/// `maxJobs` jobs (recycling bounds what a leaking plugin can accumulate),
/// when no job came for `idle` (so an idle daemon keeps no children), and —
/// background jobs of `cert deploy` and the daemon — after the job it was
/// running when its parent died (the job finishes, as `job run`'s does; it
/// takes no more). Foreground jobs (`JobSpec.parentProcess`) die with their
/// command through `ParentWatch`, as in `job run`.
public enum JobWorker {
    /// Jobs a worker runs before it exits and the launcher starts a fresh one.
    ///
    /// 32: a plugin's leaked memory, descriptors or threads then live at most 32
    /// jobs, while the worker's start (about the cost of one small job: the
    /// loader, argument parsing, the inventory, plugin load and trust check) is
    /// spread over 32 — a 50-endpoint fan-out at `--parallel 10` starts at most
    /// 10 workers and none twice, a 500-endpoint one at most 20.
    public static let defaultMaxJobs = 32
    /// How long a worker waits for its next job before it exits.
    ///
    /// 10 s: long enough for the next job of a deploy or a daemon pass (jobs
    /// are handed over at once), short enough that an idle `serve` keeps no
    /// children around between its passes.
    public static let defaultIdle: Duration = .seconds(10)

    static let frameMagic = Array("OGJW".utf8)
    /// A frame longer than any `JobInput` can be is a garbled exchange.
    static let maxFrameBytes = JobInput.maxPieces * (JobInput.maxPieceBytes + 4) + (1 << 20)

    /// The frame carrying `input` (the launcher's side).
    static func frame(_ input: [UInt8]) -> [UInt8] {
        let length = UInt32(input.count)
        return frameMagic + [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
            + input
    }

    /// The line a worker writes when it has read job `number`.
    static func takenLine(_ number: Int) -> String { "{\"og_job_taken\":\(number)}\n" }

    /// Whether `line` is a worker's "job taken" line.
    static func isTakenLine(_ line: ArraySlice<UInt8>) -> Bool {
        line.starts(with: Array("{\"og_job_taken\":".utf8))
    }

    /// Runs jobs until one of the ends above. `openGateway` is called when the
    /// first job has been read (a `job run` opens it after reading its spec too).
    public static func serve(maxJobs: Int, idle: Duration, openGateway: () throws -> Gateway) async throws {
        // Writes to a vanished parent are given up quietly (StandardStreams), as in `job run`.
        signal(SIGPIPE, SIG_IGN)
        // Jobs one after another on endpoints reached the same way share one SSH login (SSHConnectionPool:
        // the same identity only, host key re-checked, alive-proved, given back only after no error); the
        // kept connections are closed with an SSH disconnect when the worker ends. A worker that dies just
        // drops them; sshd cleans up.
        SSHConnectionPool.shared.enable()
        defer { SSHConnectionPool.shared.drain() }
        // The answers get a descriptor of their own, and standard output becomes standard error: what a careless
        // plugin prints on standard output reaches the launcher as a log line instead of garbling an answer.
        let answers = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)
        guard answers >= 0, dup2(STDERR_FILENO, STDOUT_FILENO) >= 0 else {
            throw GatewayError("the job worker cannot set up its answer channel: \(String(cString: strerror(errno)))")
        }
        func answer(_ line: String) { StandardStreams.write(Array(line.utf8), to: answers) }
        let parent = getppid()
        var gateway: Gateway?
        var watching: Int32?
        for number in 1...max(1, maxJobs) {
            guard var input = try readFrame(idle: idle) else { return }
            answer(takenLine(number))
            let (spec, material) = try JobInput.decode(&input)
            if let foreground = spec.parentProcess, watching != foreground {
                ParentWatch.start(foreground)
                watching = foreground
            }
            if gateway == nil { gateway = try openGateway() }
            // Test runs (OG_FAULT_INJECT): `step:N` counts each job's points from 1, as in a process of its own.
            if number > 1 { FaultPoints.restartCount() }
            let outcome = await EndpointJobRunner.run(spec, material: material, gateway: gateway!) { line in
                StandardStreams.error(JobProgress(endpoint: spec.endpoint, line: line).encodedLine)
            }
            answer(String(decoding: try JobWire.encoder().encode(outcome), as: UTF8.self) + "\n")
            // The launcher is gone (a killed `cert deploy` or daemon): this job is finished; take no more.
            if getppid() != parent { return }
        }
    }

    /// The next frame's `JobInput` bytes, or nil when standard input closed or
    /// nothing came for `idle`.
    static func readFrame(idle: Duration) throws -> [UInt8]? {
        var ready = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)]
        let milliseconds = Int32(clamping: idle.components.seconds * 1000 + idle.components.attoseconds / 1_000_000_000_000_000)
        while true {
            let polled = poll(&ready, 1, milliseconds)
            if polled == 0 { return nil }
            if polled > 0 { break }
            if errno != EINTR { return nil }
        }
        guard let header = try readExactly(8, allowEndOfFile: true) else { return nil }
        guard Array(header.prefix(4)) == frameMagic else {
            throw GatewayError.badInput("the job worker's input is not a job frame")
        }
        let length = header.dropFirst(4).reduce(0) { $0 << 8 | Int($1) }
        guard length <= maxFrameBytes else { throw GatewayError.badInput("the job worker's input frame is too long (\(length) bytes)") }
        return try readExactly(length, allowEndOfFile: false)
    }

    private static func readExactly(_ count: Int, allowEndOfFile: Bool) throws -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress! + filled, count - filled) }
            if got > 0 {
                filled += got
            } else if got < 0 && errno == EINTR {
                continue
            } else {
                if filled == 0 && allowEndOfFile { return nil }
                bytes.withUnsafeMutableBytes { explicit_bzero($0.baseAddress!, $0.count) }
                throw GatewayError.badInput("the job worker's input ended in the middle of a frame")
            }
        }
        return bytes
    }
}
