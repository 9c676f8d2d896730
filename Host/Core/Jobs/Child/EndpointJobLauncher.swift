import Foundation
import OGBasics
import OGInventory
import OGMaterial
import OGPlugins

/// Runs one endpoint job in a child og-host (`og-host job run`), so plugin
/// code never runs in the calling process: a plugin that crashes, hangs or
/// calls exit() ends one child, whose job is reported failed, and the caller
/// (the CLI fanning out a deploy, the daemon) lives on.
///
/// The child gets the spec as JSON on standard input (references only: no
/// secret is ever in its argv or its spec; it opens the same data directory and
/// resolves the same plugin directories), writes `JobProgress` lines on
/// standard error between its log lines, and its `JobOutcome` as JSON on
/// standard output; its exit status is the outcome's category's.
///
/// When the child dies of a signal, outlives `timeout` (killed with its whole
/// process group), or answers something that is not an outcome, the launcher
/// makes the outcome itself, naming the signal and — from what the child's
/// `PluginSlotWatch` wrote — the plugin slot that was running; it then hands
/// back the dead child's lease and journal entries (it reaped the child, so
/// it knows the owner is gone) and, for an install or a restart, runs
/// `recover` for that endpoint in another child, which restores what the
/// crash left half-written. A crashed `recover` is not repeated (it fails;
/// its journal stays open for the next `tls recover`, which may start at once).
///
/// `foreground` launchers run jobs that belong to the command an operator
/// typed (`tls install`, `restart`, `recover`): each child kills itself when
/// that og-host is gone (killed, interrupted), as the job would have died
/// with it had it run inside it, and the journal is left for recovery as
/// before. In a test run with `OG_FAULT_INJECT`, a child that died at a fault
/// point ends such a launcher's process the same way (exit 70), so the
/// command as a whole stops at that instant, as the harnesses expect.
public struct EndpointJobLauncher: Sendable {
    public let gateway: Gateway
    /// The og-host binary the children run.
    public let executable: String
    /// How long one job may run before it is killed.
    public let timeout: Duration
    /// The jobs belong to this process's command (see above).
    public let foreground: Bool
    /// Bytes a child may write on each of standard output and standard error before it is killed.
    public let outputLimit: Int
    /// Jobs one worker runs before it is replaced (`JobWorker.defaultMaxJobs`; `OG_JOB_WORKER_MAX_JOBS`).
    public let workerJobs: Int
    /// How long an idle worker waits for a job before it exits (`OG_JOB_WORKER_IDLE_SECONDS`).
    public let workerIdle: Duration
    /// Set by `pooled(_:)`: jobs go to long-lived workers (`og-host job worker`) instead of one `job run` each.
    let pool: JobWorkerPool?

    public static let defaultTimeout: Duration = .seconds(900)

    /// `executable`: this process's own binary (`/proc/self/exe`) unless given
    /// or named by `OG_HOST_EXECUTABLE` (tests that drive the library directly
    /// run inside a test bundle, which is no og-host). `OG_JOB_TIMEOUT_SECONDS`
    /// (1–86400) overrides the default timeout.
    public init(gateway: Gateway, executable: String? = nil, timeout: Duration? = nil, foreground: Bool = false,
                outputLimit: Int = ProcessRunner.defaultOutputLimit,
                environment: Environment = .process) throws {
        self.gateway = gateway
        self.foreground = foreground
        self.outputLimit = outputLimit
        self.pool = nil
        if let text = environment["OG_JOB_WORKER_MAX_JOBS"] {
            guard let jobs = Int(text), (1...10_000).contains(jobs) else {
                throw GatewayError.badInput("OG_JOB_WORKER_MAX_JOBS: '\(text)' is not a number of jobs between 1 and 10000")
            }
            workerJobs = jobs
        } else {
            workerJobs = JobWorker.defaultMaxJobs
        }
        if let text = environment["OG_JOB_WORKER_IDLE_SECONDS"] {
            guard let seconds = Double(text), seconds >= 0.1, seconds <= 3600 else {
                throw GatewayError.badInput("OG_JOB_WORKER_IDLE_SECONDS: '\(text)' is not a number of seconds between 0.1 and 3600")
            }
            workerIdle = .milliseconds(Int64(seconds * 1000))
        } else {
            workerIdle = JobWorker.defaultIdle
        }
        if let executable {
            self.executable = executable
        } else if let named = environment["OG_HOST_EXECUTABLE"], !named.isEmpty {
            self.executable = named
        } else {
            self.executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        }
        if let timeout {
            self.timeout = timeout
        } else if let text = environment["OG_JOB_TIMEOUT_SECONDS"] {
            guard let seconds = Double(text), seconds >= 1, seconds <= 86400 else {
                throw GatewayError.badInput("OG_JOB_TIMEOUT_SECONDS: '\(text)' is not a number of seconds between 1 and 86400")
            }
            self.timeout = .milliseconds(Int64(seconds * 1000))
        } else {
            self.timeout = Self.defaultTimeout
        }
        guard FileManager.default.isExecutableFile(atPath: self.executable) else {
            throw GatewayError("cannot run endpoint jobs: \(self.executable) is not an executable og-host (set OG_HOST_EXECUTABLE)")
        }
    }

    private init(copying other: EndpointJobLauncher, pool: JobWorkerPool?) {
        gateway = other.gateway
        executable = other.executable
        timeout = other.timeout
        foreground = other.foreground
        outputLimit = other.outputLimit
        workerJobs = other.workerJobs
        workerIdle = other.workerIdle
        self.pool = pool
    }

    /// This launcher with a pool of at most `workers` long-lived workers
    /// (`og-host job worker`, at least 1): a job goes to an idle worker or a
    /// new one, one job at a time per worker, so a caller running `workers`
    /// jobs at once starts at most `workers` processes rather than one per
    /// job, and fewer when jobs are quick or the CPUs saturated (`JobWorkerPool`). What
    /// a job's failure means is unchanged (see above); a worker that dies,
    /// hangs or answers garbage fails only the job it was running and is
    /// replaced. Call `drain()` when done (workers also exit when idle).
    public func pooled(_ workers: Int) -> EndpointJobLauncher {
        EndpointJobLauncher(copying: self, pool: JobWorkerPool(capacity: max(1, workers), maxJobs: workerJobs, idle: workerIdle))
    }

    /// A pooled launcher starts its first worker now rather than at its first
    /// job, so that the worker's start (exec, dynamic linking, the Swift
    /// runtime's and OpenSSL's set-up: about 40 % of a small install's child)
    /// runs on another CPU while the caller still checks its input and parses
    /// its material. The worker does nothing until a job reaches it; if none
    /// does (the input is refused), `drain()` lets it exit. No effect on a
    /// launcher that is not pooled, or whose pool already has a worker.
    public func startWorkerAhead() {
        pool?.startAhead { try startWorker() }
    }

    /// Lets every idle worker of the pool exit (their input is closed); a busy one exits after its job.
    public func drain() {
        pool?.drain()
    }

    /// Runs `spec` in a child and returns how it ended; never throws for what
    /// the job or its plugin did. `progress` gets the job's lines as they come
    /// (on the calling thread); `log` gets the child's own log lines, which by
    /// default go to this process's standard error. `material`: an install's
    /// material when it is not a managed certificate (the spec then says
    /// `materialOnInput`; it goes to the child on its standard input, `JobInput`).
    public func run(_ spec: JobSpec, material: InstallMaterial? = nil, progress: @escaping (JobProgress) -> Void = { _ in },
                    log: @escaping (String) -> Void = EndpointJobLauncher.forwardLog) -> JobOutcome {
        let started = ContinuousClock.now
        var spec = spec
        spec.materialOnInput = material != nil
        if foreground { spec.parentProcess = getpid() }
        var outcome = pool.map { runInWorker(spec, material: material, pool: $0, progress: progress, log: log) }
            ?? runChild(spec, material: material, progress: progress, log: log)
        if let crash = outcome.crash {
            var failed = crash.outcome
            failed.processID = crash.pid
            switch spec.kind {
            case .install, .restart:
                failed = recover(after: failed, spec: spec, childPID: crash.pid, progress: progress, log: log)
            case .recover:
                releaseLease(spec: spec, childPID: crash.pid)
                failed.message += "\nthe interrupted install stays in the journal; run og-host tls recover \(spec.endpoint) "
                    + "once the cause is fixed"
            case .discover:
                break
            }
            outcome.result = failed
        }
        var result = outcome.result
        result.seconds = (ContinuousClock.now - started).seconds
        return result
    }

    /// Writes a child's log line to this process's standard error.
    public static let forwardLog: @Sendable (String) -> Void = { line in
        StandardStreams.error(line + "\n")
    }

    private struct ChildResult {
        var result: JobOutcome
        /// Set when the child did not end by itself with an outcome.
        var crash: (outcome: JobOutcome, pid: Int32)?
    }

    private func runChild(_ spec: JobSpec, material: InstallMaterial? = nil, progress: @escaping (JobProgress) -> Void,
                          log: @escaping (String) -> Void) -> ChildResult {
        func failed(_ message: String, category: GatewayError.Category = .internal, signal: Int32? = nil) -> JobOutcome {
            JobOutcome(kind: spec.kind, endpoint: spec.endpoint, status: .failed, category: category, message: message, signal: signal)
        }
        var input: [UInt8]
        do { input = try JobInput.encode(spec, material: material) } catch {
            return ChildResult(result: failed("the job spec cannot be encoded: \(error)"))
        }
        defer { SecureMemory.wipe(&input) }
        let splitter = LineSplitter { line in
            if let item = JobProgress.decode(line: line) { progress(item) } else if !line.isEmpty { log(String(line)) }
        }
        let output: ProcessOutput
        do {
            // Waiting for a busy endpoint is not the job's time.
            output = try ProcessRunner.run(executable, ["job", "run"], standardInput: input, environment: childEnvironment(),
                                           timeout: jobTimeout(spec), outputLimit: outputLimit, returningOnOverflow: true,
                                           standardErrorHandler: { splitter.feed($0) })
        } catch {
            return ChildResult(result: failed("could not start a child og-host for the job: \(error)"))
        }
        splitter.finish()
        return interpret(output, spec: spec)
    }

    /// Runs `spec` in a worker of `pool` (an idle one, or a new one), with the
    /// same timeout, output bound and reading of a death as a `job run` child.
    /// The worker holds the job only once it said it took it; a worker that
    /// ended before that (idle, recycled, its input closed as the job was
    /// handed over) never started it, and the job goes to a fresh worker.
    private func runInWorker(_ spec: JobSpec, material: InstallMaterial?, pool: JobWorkerPool,
                             progress: @escaping (JobProgress) -> Void, log: @escaping (String) -> Void) -> ChildResult {
        func failed(_ message: String) -> JobOutcome {
            JobOutcome(kind: spec.kind, endpoint: spec.endpoint, status: .failed, category: .internal, message: message)
        }
        var input: [UInt8]
        do { input = try JobInput.encode(spec, material: material) } catch {
            return ChildResult(result: failed("the job spec cannot be encoded: \(error)"))
        }
        defer { SecureMemory.wipe(&input) }
        var frame = JobWorker.frame(input)
        defer { SecureMemory.wipe(&frame) }
        var attempts = 0
        while true {
            attempts += 1
            let worker: JobWorkerPool.Worker
            do {
                worker = try pool.take { try startWorker() }
            } catch {
                return ChildResult(result: failed("could not start a child og-host for the job: \(error)"))
            }
            let process = worker.process
            process.send(frame)
            let splitter = LineSplitter { line in
                if let item = JobProgress.decode(line: line) { progress(item) } else if !line.isEmpty { log(String(line)) }
            }
            var standardOutput: [UInt8] = []
            var standardError: [UInt8] = []
            var taken = false
            var answer: [UInt8]?
            var overflowed = false
            let limit = outputLimit
            let ending = process.exchange(until: ContinuousClock.now + jobTimeout(spec), standardOutput: { piece in
                standardOutput += piece
                if standardOutput.count > limit { overflowed = true; return true }
                while let newline = standardOutput.firstIndex(of: 0x0a) {
                    let line = Array(standardOutput[..<newline])
                    standardOutput.removeSubrange(...newline)
                    if !taken && JobWorker.isTakenLine(line[...]) {
                        taken = true
                        pool.started(worker)
                    } else {
                        answer = line
                        return true
                    }
                }
                return false
            }, standardError: { piece in
                standardError += piece
                splitter.feed(piece)
                if standardError.count > limit { overflowed = true; return true }
                return false
            })
            splitter.finish()
            if ending == .stopped, !overflowed, let answer,
               let outcome = try? JobWire.decoder().decode(JobOutcome.self, from: Data(answer)) {
                pool.giveBack(worker)
                return ChildResult(result: outcome)
            }
            if ending == .exited, !taken, worker.jobsDone > 0, process.terminationSignal == nil, process.exitStatus == 0,
               attempts < 3 {
                // It ended by itself between two jobs and never read this one: nothing was started.
                pool.discard(worker)
                continue
            }
            // Anything else ends this worker: what it was running is this job's failure.
            let timedOut = ending == .timedOut
            if ending != .exited { process.kill() }
            pool.discard(worker)
            if ending == .stopped, !overflowed, let answer {
                let outcome = failed("the job's process answered something that is not an outcome (\(pluginDescription(spec)) "
                                     + "wrote on standard output?): \(Self.excerpt(Substring(String(decoding: answer, as: UTF8.self)))); "
                                     + "it was stopped")
                return ChildResult(result: outcome, crash: (outcome, process.processID))
            }
            var output = ProcessOutput(exitStatus: timedOut || overflowed ? -1 : process.exitStatus,
                                       standardOutput: standardOutput, standardError: standardError, timedOut: timedOut,
                                       terminationSignal: timedOut || overflowed ? nil : process.terminationSignal,
                                       processID: process.processID)
            output.outputLimitExceeded = overflowed
            return interpret(output, spec: spec)
        }
    }

    /// A new `og-host job worker`: exactly those arguments, its bounds in the environment (main.swift then skips argument-parser).
    private func startWorker() throws -> RunningProcess {
        var environment = childEnvironment()
        environment["OG_JOB_WORKER_MAX_JOBS"] = String(workerJobs)
        environment["OG_JOB_WORKER_IDLE_SECONDS"] = String(workerIdle.seconds)
        return try RunningProcess.start(executable, ["job", "worker"], environment: environment)
    }

    /// The environment of a job's process: the same data directory and plugin search path as this one.
    private func childEnvironment() -> [String: String] {
        var environment = EnvironmentVariable.all()
        environment["OG_DATA_DIR"] = gateway.dataDirectory.path
        environment["OG_PLUGIN_PATH"] = gateway.searchPath.directories.joined(separator: ":")
        // The parent reports a crash itself; Swift's backtracer would only make the child die ten times slower.
        environment["SWIFT_BACKTRACE"] = "enable=no"
        return environment
    }

    /// How long a job may run: the timeout plus the spec's wait for a busy endpoint (waiting is not the job's time).
    private func jobTimeout(_ spec: JobSpec) -> Duration {
        timeout + .milliseconds(Int64(spec.wait * 1000))
    }

    /// What a job's process that ended (or was ended) with `output` means for
    /// the job: its outcome, or a failure naming plugin, slot and signal that
    /// the caller must clean up after (`crash`).
    private func interpret(_ output: ProcessOutput, spec: JobSpec) -> ChildResult {
        func failed(_ message: String, category: GatewayError.Category = .internal, signal: Int32? = nil) -> JobOutcome {
            JobOutcome(kind: spec.kind, endpoint: spec.endpoint, status: .failed, category: category, message: message, signal: signal)
        }
        if output.outputLimitExceeded {
            // The runner killed and reaped it: its PID is known dead, so what it held is handed back and
            // recovery starts at once instead of waiting for its lease to run out.
            let outcome = failed("the job wrote more than \(outputLimit) bytes and was killed", signal: SIGKILL)
            return ChildResult(result: outcome, crash: (outcome, output.processID))
        }
        if foreground, output.terminationSignal == nil, FaultPoints.endedAtFault(exitStatus: output.exitStatus,
                                                                                 standardError: output.standardErrorText) {
            // Tests only: the job's process stopped at an injected fault; the command stops with it.
            _exit(FaultPoints.exitStatus)
        }
        // What the child's PluginSlotWatch said when plugin code took it down: the plugin and the slot.
        let watched = PluginSlotWatch.Report.last(in: output.standardErrorText)
        func withSlot(_ outcome: JobOutcome) -> JobOutcome {
            var outcome = outcome
            outcome.slot = watched?.slot
            return outcome
        }
        // Only failures name the plugin: a job that succeeded does not look its endpoint and plugin up again.
        lazy var plugin = watched.map { "plugin '\($0.plugin)'" + (pluginType(spec).map { " (type \($0))" } ?? "") }
            ?? pluginDescription(spec)
        let inSlot = watched.map { " in its \($0.slot) slot" } ?? ""
        if output.timedOut {
            let waited = spec.wait > 0 ? " (plus up to \(Int(spec.wait.rounded(.up))) s allowed for waiting on a busy endpoint)" : ""
            let outcome = failed("the job did not finish within \(Int(timeout.seconds)) s\(waited) and was killed with its processes "
                                 + "(\(plugin) hung\(inSlot)?)", category: .transient, signal: SIGKILL)
            return ChildResult(result: withSlot(outcome), crash: (withSlot(outcome), output.processID))
        }
        if let signal = output.terminationSignal {
            // A signal no code sends itself, and no slot watch report: someone killed the process (OOM killer, an operator).
            let fromOutside = watched == nil && [SIGKILL, SIGTERM, SIGINT, SIGHUP].contains(signal)
            let outcome = failed(fromOutside ? "the job's process was killed by signal \(signal) (\(Self.signalName(signal)))"
                                             : "\(plugin) crashed\(inSlot): the job's process died of signal \(signal) "
                                               + "(\(Self.signalName(signal)))", signal: signal)
            return ChildResult(result: withSlot(outcome), crash: (withSlot(outcome), output.processID))
        }
        if let decoded = try? JobWire.decoder().decode(JobOutcome.self, from: Data(output.standardOutput)) {
            return ChildResult(result: decoded)
        }
        if let watched, watched.event != .crashed {
            let what = watched.event == .exited ? "called exit(\(watched.exitStatus.map(String.init) ?? "?"))"
                                                : "did not return"
            let outcome = failed("\(plugin) \(what)\(inSlot): the job's process ended with exit status \(output.exitStatus) "
                                 + "without an outcome", category: watched.event == .hung ? .transient : .internal)
            return ChildResult(result: withSlot(outcome), crash: (withSlot(outcome), output.processID))
        }
        let lastWords = output.standardErrorText.split(separator: "\n").last { JobProgress.decode(line: $0) == nil }
        let outcome = failed("the job's process ended with exit status \(output.exitStatus) without an outcome "
                             + "(\(plugin) exited or wrote on standard output?)"
                             + (lastWords.map { ": \(Self.excerpt($0))" } ?? ""))
        return ChildResult(result: outcome, crash: (outcome, output.processID))
    }

    /// After a crashed install: hand the dead child's hold on the endpoint
    /// back and finish its interrupted install from the journal in another child.
    private func recover(after crashed: JobOutcome, spec: JobSpec, childPID: Int32,
                         progress: @escaping (JobProgress) -> Void, log: @escaping (String) -> Void) -> JobOutcome {
        var outcome = crashed
        let interrupted = interruptedInstalls(spec: spec, childPID: childPID)
        releaseLease(spec: spec, childPID: childPID)
        let recovery = runChild(JobSpec(kind: .recover, endpoint: spec.endpoint, wait: max(spec.wait, 5),
                                        parentProcess: spec.parentProcess),
                                progress: progress, log: log)
        let recovered = recovery.crash == nil ? recovery.result : recovery.crash!.outcome
        if recovered.status == .recovered, spec.kind == .install, spec.targets.count == 1, !interrupted.isEmpty,
           finalStates(of: interrupted).allSatisfy({ $0 == .succeeded }) {
            // Killed after the new certificate was verified and recorded: recovery kept it, so the install happened.
            outcome.status = .installed
            outcome.category = nil
            outcome.recovery = recovered.message
            outcome.message += "\nrecovered in a new process: \(recovered.message)"
            return outcome
        }
        switch recovered.status {
        case .recovered:
            outcome.status = .rolledBack
            outcome.category = .endpointRolledBack
            outcome.recovery = recovered.message
            outcome.message += "\nrecovered in a new process: \(recovered.message)"
        case .clean:
            let said = spec.kind == .install ? "nothing had been changed on the endpoint" : "no install was left interrupted"
            outcome.recovery = said
            outcome.message += "\n" + said
        default:
            outcome.status = .inconsistent
            outcome.category = .endpointInconsistent
            outcome.recovery = "recovery failed: \(recovered.message)"
            outcome.message += "\nrecovery failed: \(recovered.message)\nrun og-host tls recover \(spec.endpoint) once the cause is fixed"
        }
        return outcome
    }

    /// Hands back what the reaped child `childPID` held on the spec's endpoint
    /// (its lease, its journal entries' leases): it is known dead, so recovery
    /// need not wait for the lease to run out.
    private func releaseLease(spec: JobSpec, childPID: Int32) {
        guard childPID > 0 else { return }
        Self.parentSide.withLock {
            guard let inventory = try? gateway.inventory(), let record = try? EndpointCatalog(gateway: gateway).find(spec.endpoint),
                  let gatewayID = try? inventory.gatewayID() else { return }
            let owner = JobOwner(gatewayID: gatewayID, pid: childPID, host: ProcessInfo.processInfo.hostName)
            _ = try? inventory.releaseLeases(ofDeadOwner: owner, endpointID: record.id)
        }
    }

    /// The journal entries the dead child `childPID` left unfinished on the spec's endpoint.
    private func interruptedInstalls(spec: JobSpec, childPID: Int32) -> [String] {
        guard childPID > 0 else { return [] }
        return Self.parentSide.withLock {
            guard let inventory = try? gateway.inventory(),
                  let record = try? EndpointCatalog(gateway: gateway).find(spec.endpoint),
                  let unfinished = try? inventory.unfinishedInstalls(endpointID: record.id) else { return [] }
            return unfinished.filter { $0.ownerPID == childPID }.map(\.jobID)
        }
    }

    /// How recovery closed `jobIDs` (nil for one that cannot be read).
    private func finalStates(of jobIDs: [String]) -> [InstallJournalState?] {
        Self.parentSide.withLock {
            let inventory = try? gateway.inventory()
            return jobIDs.map { id in (try? inventory?.installJob(id))??.typedState }
        }
    }

    /// The endpoint's type, when it can be read.
    private func pluginType(_ spec: JobSpec) -> String? {
        Self.parentSide.withLock { try? EndpointCatalog(gateway: gateway).find(spec.endpoint).type }
    }

    /// Serialises the launcher's own (rare) reads of the gateway across worker threads.
    private static let parentSide = Locked()

    /// "the plugin 'nginx' (type nginx)" when it can be told without loading anything.
    private func pluginDescription(_ spec: JobSpec) -> String {
        Self.parentSide.withLock {
            guard let record = try? EndpointCatalog(gateway: gateway).find(spec.endpoint) else { return "the endpoint's plugin" }
            guard let entry = try? gateway.entry(forType: record.type) else { return "the plugin for type '\(record.type)'" }
            return "plugin '\(entry.name)' (type \(record.type))"
        }
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: return "SIGSEGV"
        case SIGBUS: return "SIGBUS"
        case SIGABRT: return "SIGABRT"
        case SIGILL: return "SIGILL"
        case SIGFPE: return "SIGFPE"
        case SIGKILL: return "SIGKILL"
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        case SIGTRAP: return "SIGTRAP"
        case SIGPIPE: return "SIGPIPE"
        default: return "signal \(signal)"
        }
    }

    /// At most 200 characters of a child's line, control characters as '?'.
    static func excerpt(_ line: Substring) -> String {
        let cleaned = String(line.prefix(200).map { $0.isASCII && ($0.asciiValue! < 0x20 || $0.asciiValue! == 0x7f) ? "?" : $0 })
        return line.count > 200 ? cleaned + "…" : cleaned
    }
}

/// Cuts a byte stream into lines as pieces arrive.
private final class LineSplitter {
    private var pending: [UInt8] = []
    private let emit: (Substring) -> Void

    init(_ emit: @escaping (Substring) -> Void) { self.emit = emit }

    func feed(_ bytes: ArraySlice<UInt8>) {
        pending += bytes
        while let newline = pending.firstIndex(of: 0x0a) {
            emit(Substring(String(decoding: pending[..<newline], as: UTF8.self)))
            pending.removeSubrange(...newline)
        }
    }

    func finish() {
        if !pending.isEmpty { emit(Substring(String(decoding: pending, as: UTF8.self))) }
        pending = []
    }
}
