import Foundation

/// The child side of an endpoint job (`og-host job run`): runs one `JobSpec`
/// in this process through `EndpointJobService` — the same code `tls install`,
/// `tls nodes` and `tls recover` run — and describes the end as a
/// `JobOutcome`. Plugin code runs here, never in the launching process.
///
/// Orphans of background launchers finish: when the parent dies while a job
/// runs (a daemon or `cert deploy` killed with `kill -9`), the job goes on to
/// its own end (a foreground job, one of `tls install/restart/recover`, dies
/// with its command instead: `ParentWatch`) — an
/// install verified, or rolled back, its journal closed and its lease given
/// back — rather than being cut at an arbitrary step; what it would have
/// reported is lost, but the inventory records the install, and a restarted
/// daemon finds the deploy it owed settled (the endpoint reports `unchanged`).
/// Its writes to the vanished parent are given up quietly (SIGPIPE ignored,
/// `StandardStreams`). No PR_SET_PDEATHSIG: a job killed midway would leave
/// its endpoint to recovery once its lease ran out. Under systemd the unit's
/// `KillMode=mixed` still ends left-over children when the unit stops after
/// the daemon died; the restarted daemon's recovery duty then rolls their
/// journals back and its deploy duty retries the owed deploy.
public enum EndpointJobRunner {
    /// `material`: what followed the spec on standard input (`JobInput`), for a spec with `materialOnInput`.
    public static func run(_ spec: JobSpec, material: InstallMaterial? = nil, gateway: Gateway,
                           progress: @escaping (String) -> Void) async -> JobOutcome {
        let started = ContinuousClock.now
        var outcome: JobOutcome
        do {
            outcome = try await perform(spec, material: material, gateway: gateway, progress: progress)
        } catch {
            let failure = GatewayError.classify(error)
            outcome = JobOutcome(kind: spec.kind, endpoint: spec.endpoint, failure: failure)
        }
        outcome.seconds = (ContinuousClock.now - started).seconds
        outcome.processID = getpid()
        return outcome
    }

    private static func perform(_ spec: JobSpec, material: InstallMaterial?, gateway: Gateway,
                                progress: @escaping (String) -> Void) async throws -> JobOutcome {
        let service = EndpointJobService(gateway: gateway)
        let wait = Duration.milliseconds(Int64(spec.wait * 1000))
        switch spec.kind {
        case .discover:
            let nodes = try service.nodes(spec.endpoint)
            return JobOutcome(kind: .discover, endpoint: spec.endpoint, status: .discovered,
                              message: "\(nodes.count) node\(nodes.count == 1 ? "" : "s")", discovered: nodes)
        case .recover:
            var lines: [String] = []
            let result = try await service.recover(spec.endpoint, wait: wait) { line in
                lines.append(line)
                progress(line)
            }
            return JobOutcome(kind: .recover, endpoint: spec.endpoint, status: result.recovered ? .recovered : .clean,
                              message: result.recovered ? lines.joined(separator: "\n")
                                                        : "endpoint '\(result.endpoint.name)' has no interrupted install")
        case .restart:
            let record = try await service.restart(spec.endpoint, wait: wait, report: progress)
            return JobOutcome(kind: .restart, endpoint: spec.endpoint, status: .restarted,
                              message: "endpoint '\(record.name)' restarted")
        case .install:
            let loaded: InstallMaterial
            if spec.materialOnInput {
                guard let material else { throw GatewayError.badInput("the job spec says materialOnInput, but no material came") }
                loaded = material
            } else {
                guard let certificateID = spec.certificateID else {
                    throw GatewayError.option("certificate-id", "is required for an install job")
                }
                loaded = try service.loadMaterial(.managed(certificateID))
            }
            // Every node of the endpoint in one transaction: all installed, or all rolled back.
            var request = InstallRequest(endpoint: spec.endpoint, material: .managed(loaded.certificateID ?? ""),
                                         dryRun: spec.dryRun, wait: wait)
            request.skipIfUnchanged = spec.skipIfUnchanged
            let result = try await service.install(request, targets: spec.targets.map { InstallTarget(node: $0.node, alias: $0.alias) },
                                                   material: loaded, report: progress)
            if spec.dryRun {
                return JobOutcome(kind: .install, endpoint: spec.endpoint, status: .planned,
                                  message: "dry run: nothing was changed", fingerprint: result.leafFingerprint)
            }
            let installed = zip(spec.targets, result.nodes + Array(repeating: nil, count: max(0, spec.targets.count - result.nodes.count)))
                .map { target, node in node ?? target.node ?? "default" }
            return JobOutcome(kind: .install, endpoint: spec.endpoint, status: result.unchanged ? .unchanged : .installed,
                              message: result.unchanged ? "already installed and served; nothing changed"
                                                        : "installed on \(installed.joined(separator: ", "))",
                              fingerprint: result.leafFingerprint, nodes: installed)
        }
    }
}

/// Ties a job's process to the og-host that launched it for an operator's
/// command (`JobSpec.parentProcess`): once that process is gone (killed,
/// interrupted; the child is then re-parented), the child kills itself with
/// SIGKILL, so the job ends at about the instant its command did — as it would
/// have had it run inside it — and the journal is left for recovery. Polls
/// every 100 ms (Linux's PR_SET_PDEATHSIG follows the spawning thread, not
/// the process, and is unreachable from Swift without a C shim).
public enum ParentWatch {
    public static func start(_ parent: Int32) {
        if getppid() != parent { kill(getpid(), SIGKILL) }
        let thread = Thread {
            while true {
                usleep(100_000)
                if getppid() != parent { kill(getpid(), SIGKILL) }
            }
        }
        thread.name = "og-host parent watch"
        thread.start()
    }
}
