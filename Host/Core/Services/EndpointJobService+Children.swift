import Foundation

/// `tls install`, `tls restart` and `tls recover` as the CLI runs them: every
/// check that needs no plugin (the endpoints exist, nothing is repeated, the
/// material is complete, matches its key and reaches a trust anchor) here,
/// before anything starts; then each endpoint's job in a child og-host
/// through `EndpointJobLauncher`, the one mechanism `cert deploy` and the
/// daemon use. Plugin code never runs in the calling process, so a plugin
/// that crashes, calls exit() or hangs costs its endpoint's job only: that job
/// is reported failed with the plugin, slot and signal, the journal is
/// recovered in another child (or left open, and said so), and the next
/// endpoint still runs.
extension EndpointJobService {
    /// Installs on one endpoint in a child; throws the job's failure as the
    /// `GatewayError` it had there (same category, field and text).
    @discardableResult
    public func install(_ request: InstallRequest, launcher: EndpointJobLauncher,
                        report: @escaping (String) -> Void) throws -> InstallOutcome {
        let results = try install(request, endpoints: [request.endpoint], nodes: [request.node], launcher: launcher,
                                  report: report)
        switch results[0].result {
        case .success(let outcome): return outcome
        case .failure(let error): throw error
        }
    }

    /// One job per endpoint (all its nodes in one transaction), one after the
    /// other, each in its own child; one result per endpoint and node. A failed
    /// job rolled back every node of its endpoint: each is a failure carrying its error.
    /// Refuses a repeated endpoint or node, a missing endpoint (of several) and
    /// unusable material before any job starts. A single endpoint is looked up
    /// by its job's process first thing, before it takes the lease or touches
    /// anything, and refused there with the same error (category, field, text):
    /// looking it up here as well would cost an install ~10 M instructions
    /// (a GRDB query and an `EndpointRecord` decode) for a check the job repeats.
    public func install(_ request: InstallRequest, endpoints: [String], nodes: [String?], launcher: EndpointJobLauncher,
                        report: @escaping (String) -> Void) throws -> [TargetResult] {
        guard !endpoints.isEmpty else { throw GatewayError.option("endpoint", "give at least one endpoint") }
        // One job worker runs the jobs one after the other (a crashed one is replaced). It starts now,
        // so its process start runs beside the checks and the material's parsing below; refused input
        // lets it go unused (it exits when drained, having done nothing).
        let launcher = launcher.pooled(1)
        launcher.startWorkerAhead()
        defer { launcher.drain() }
        if endpoints.count > 1 {
            let catalog = EndpointCatalog(gateway: gateway)
            var seen: [String: String] = [:]
            for reference in endpoints {
                let record = try catalog.find(reference)
                if let first = seen[record.id] {
                    throw GatewayError.option("endpoint", "'\(reference)' and '\(first)' are the same endpoint; give each once")
                }
                seen[record.id] = reference
            }
        }
        let named = nodes.compactMap { $0 }
        if let repeated = named.first(where: { node in named.filter { $0 == node }.count > 1 }) {
            throw GatewayError.option("node", "'\(repeated)' is given twice; give each node once")
        }
        let material = try loadMaterial(request.material)
        let targets = (nodes.isEmpty ? [nil] : nodes).map { JobSpec.Target(node: $0, alias: request.alias) }
        var results: [TargetResult] = []
        for endpoint in endpoints {
            var spec = JobSpec(kind: .install, endpoint: endpoint, targets: targets, wait: request.wait.seconds,
                               skipIfUnchanged: request.skipIfUnchanged, dryRun: request.dryRun)
            var onInput: InstallMaterial?
            if case .managed = request.material, let id = material.certificateID {
                spec.certificateID = id
            } else {
                onInput = material
            }
            let outcome = launcher.run(spec, material: onInput, progress: { report($0.line) })
            let failure = outcome.failure
            for (index, target) in targets.enumerated() {
                // An endpoint's nodes are one transaction: a failed job rolled back every node, so each shares its failure.
                if let failure, index >= outcome.nodes.count {
                    results.append(TargetResult(endpoint: endpoint, node: target.node, result: .failure(failure)))
                    continue
                }
                var installed = InstallOutcome(node: request.dryRun ? nil : outcome.nodes[safe: index],
                                               leafFingerprint: outcome.fingerprint ?? material.leaf.sha256Fingerprint)
                installed.unchanged = outcome.status == .unchanged
                results.append(TargetResult(endpoint: endpoint, node: target.node, result: .success(installed)))
            }
        }
        return results
    }

    /// Restarts an endpoint in a child (after it finished any interrupted install).
    @discardableResult
    public func restart(_ reference: String, wait: Duration = defaultWait, launcher: EndpointJobLauncher,
                        report: @escaping (String) -> Void) throws -> EndpointRecord {
        let record = try EndpointCatalog(gateway: gateway).find(reference)
        let outcome = launcher.run(JobSpec(kind: .restart, endpoint: record.id, wait: wait.seconds), progress: { report($0.line) })
        if let failure = outcome.failure { throw failure }
        return record
    }

    /// Finishes interrupted installs in a child; says whether there was one.
    @discardableResult
    public func recover(_ reference: String, wait: Duration = defaultWait, launcher: EndpointJobLauncher,
                        report: @escaping (String) -> Void) throws -> (endpoint: EndpointRecord, recovered: Bool) {
        let record = try EndpointCatalog(gateway: gateway).find(reference)
        let outcome = launcher.run(JobSpec(kind: .recover, endpoint: record.id, wait: wait.seconds), progress: { report($0.line) })
        if let failure = outcome.failure { throw failure }
        return (record, outcome.status == .recovered)
    }
}

private extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
