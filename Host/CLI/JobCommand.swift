import ArgumentParser
import Foundation
import OGBasics
import OGHost

/// The child side of `EndpointJobLauncher`: not for operators, so hidden from help.
struct JobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "job",
        abstract: "Run one endpoint job for a parent og-host (internal).", shouldDisplay: false,
        subcommands: [Run.self, Worker.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run",
            abstract: "Read a JSON job spec on standard input, run it, print the JSON outcome; exit status = its category.",
            discussion: "Progress goes to standard error as {\"og_job_progress\": {...}} lines between log lines.")

        func run() async throws {
            try await runReportingErrors {
                // A background job (cert deploy, the daemon) whose parent dies finishes on its own (see
                // EndpointJobRunner): writes to the vanished parent fail quietly instead of killing it. A foreground
                // job (tls install/restart/recover) dies with its command instead (ParentWatch).
                signal(SIGPIPE, SIG_IGN)
                var input = Array(FileHandle.standardInput.readDataToEndOfFile())
                let (spec, material) = try JobInput.decode(&input)
                if let parent = spec.parentProcess { ParentWatch.start(parent) }
                let gateway = try openGateway()
                let outcome = await EndpointJobRunner.run(spec, material: material, gateway: gateway) { line in
                    StandardStreams.error(JobProgress(endpoint: spec.endpoint, line: line).encodedLine)
                }
                printOut(String(decoding: try JobWire.encoder().encode(outcome), as: UTF8.self) + "\n")
                if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
            }
        }
    }

    struct Worker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "worker",
            abstract: "Run framed job specs from standard input one at a time, each answered with its JSON outcome line.",
            discussion: "Exits when standard input closes, after --max-jobs jobs, or when idle for --idle-seconds.")

        @Option(name: .customLong("max-jobs"), help: "Jobs to run before exiting.")
        var maxJobs: Int = JobWorker.defaultMaxJobs

        @Option(name: .customLong("idle-seconds"), help: "Seconds to wait for the next job before exiting.")
        var idleSeconds: Double = Double(JobWorker.defaultIdle.components.seconds)

        /// `og-host job worker` with no options, as `EndpointJobLauncher` starts it (CommandLineMain.swift's fast path):
        /// the bounds come from `OG_JOB_WORKER_MAX_JOBS` and `OG_JOB_WORKER_IDLE_SECONDS` when set, and are
        /// checked as if given as options. No `Worker` value is made: its option wrappers' first use costs ~0.5 M
        /// instructions of conformance look-ups, once per worker start.
        static func runFromEnvironment() async throws {
            var maxJobs = JobWorker.defaultMaxJobs
            var idleSeconds = Double(JobWorker.defaultIdle.components.seconds)
            if let text = EnvironmentVariable.value("OG_JOB_WORKER_MAX_JOBS") {
                guard let jobs = Int(text) else { throw GatewayError.badInput("OG_JOB_WORKER_MAX_JOBS: '\(text)' is not a number") }
                maxJobs = jobs
            }
            if let text = EnvironmentVariable.value("OG_JOB_WORKER_IDLE_SECONDS") {
                guard let seconds = Double(text) else {
                    throw GatewayError.badInput("OG_JOB_WORKER_IDLE_SECONDS: '\(text)' is not a number")
                }
                idleSeconds = seconds
            }
            try await serve(maxJobs: maxJobs, idleSeconds: idleSeconds)
        }

        func run() async throws {
            try await Self.serve(maxJobs: maxJobs, idleSeconds: idleSeconds)
        }

        private static func serve(maxJobs: Int, idleSeconds: Double) async throws {
            try await runReportingErrors {
                guard (1...10_000).contains(maxJobs) else {
                    throw GatewayError.option("max-jobs", "\(maxJobs) is not between 1 and 10000")
                }
                guard idleSeconds.isFinite, idleSeconds >= 0.1, idleSeconds <= 3600 else {
                    throw GatewayError.option("idle-seconds", "\(idleSeconds) is not between 0.1 and 3600")
                }
                try await JobWorker.serve(maxJobs: maxJobs, idle: .milliseconds(Int64(idleSeconds * 1000)),
                                          openGateway: openGateway)
            }
        }
    }
}
