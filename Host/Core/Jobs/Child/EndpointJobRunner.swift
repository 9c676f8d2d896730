import Foundation

/// The child side of an endpoint job (`og-host job run`): runs one `JobSpec`
/// in this process through `EndpointJobService` — the same code `tls install`,
/// `tls nodes` and `tls recover` run — and describes the end as a
/// `JobOutcome`. Plugin code runs here, never in the launching process.
public enum EndpointJobRunner {
    public static func run(_ spec: JobSpec, gateway: Gateway, progress: @escaping (String) -> Void) -> JobOutcome {
        let started = ContinuousClock.now
        var outcome: JobOutcome
        do {
            outcome = try perform(spec, gateway: gateway, progress: progress)
        } catch {
            let failure = (error as? PartialInstall)?.failure ?? GatewayError.classify(error)
            outcome = JobOutcome(kind: spec.kind, endpoint: spec.endpoint, status: JobOutcome.status(for: failure.category),
                                 category: failure.category, message: failure.message)
            if let partial = error as? PartialInstall {
                outcome.nodes = partial.installedNodes
                outcome.fingerprint = partial.fingerprint
            }
        }
        outcome.seconds = (ContinuousClock.now - started).seconds
        return outcome
    }

    /// A failure on a later target after earlier ones were installed.
    struct PartialInstall: Error, CustomStringConvertible {
        var failure: GatewayError
        var installedNodes: [String]
        var fingerprint: String
        var description: String { failure.message }
    }

    private static func perform(_ spec: JobSpec, gateway: Gateway, progress: @escaping (String) -> Void) throws -> JobOutcome {
        let service = EndpointJobService(gateway: gateway)
        let wait = Duration.milliseconds(Int64(spec.wait * 1000))
        switch spec.kind {
        case .discover:
            let nodes = try service.nodes(spec.endpoint)
            return JobOutcome(kind: .discover, endpoint: spec.endpoint, status: .discovered,
                              message: "\(nodes.count) node\(nodes.count == 1 ? "" : "s")", discovered: nodes)
        case .recover:
            var lines: [String] = []
            let result = try service.recover(spec.endpoint, wait: wait) { line in
                lines.append(line)
                progress(line)
            }
            return JobOutcome(kind: .recover, endpoint: spec.endpoint, status: result.recovered ? .recovered : .clean,
                              message: result.recovered ? lines.joined(separator: "\n")
                                                        : "endpoint '\(result.endpoint.name)' has no interrupted install")
        case .install:
            guard let certificateID = spec.certificateID else {
                throw GatewayError.option("certificate-id", "is required for an install job")
            }
            var installed: [String] = []
            var unchangedCount = 0
            var fingerprint = ""
            for target in spec.targets {
                var request = InstallRequest(endpoint: spec.endpoint, material: .managed(certificateID), node: target.node,
                                             alias: target.alias, wait: wait)
                request.skipIfUnchanged = spec.skipIfUnchanged
                do {
                    let result = try service.install(request, report: progress)
                    installed.append(result.node ?? target.node ?? "default")
                    fingerprint = result.leafFingerprint
                    if result.unchanged { unchangedCount += 1 }
                } catch where !installed.isEmpty {
                    var failure = GatewayError.classify(error)
                    failure.problem += "\n(installed before this failure, and kept: \(installed.joined(separator: ", ")))"
                    throw PartialInstall(failure: failure, installedNodes: installed, fingerprint: fingerprint)
                }
            }
            let allUnchanged = unchangedCount == spec.targets.count
            return JobOutcome(kind: .install, endpoint: spec.endpoint, status: allUnchanged ? .unchanged : .installed,
                              message: allUnchanged ? "already installed and served; nothing changed"
                                                    : "installed on \(installed.joined(separator: ", "))",
                              fingerprint: fingerprint, nodes: installed)
        }
    }
}
