import ArgumentParser
import Foundation
import OGHost

/// The child side of `EndpointJobLauncher`: not for operators, so hidden from help.
struct JobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "job",
        abstract: "Run one endpoint job for a parent og-host (internal).", shouldDisplay: false,
        subcommands: [Run.self])

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
}
