import Foundation

/// Renewal's auto-deploy in the daemon: the renewed lineage's current version
/// goes to every binding through `CertificateDeployService`, so each endpoint's
/// install runs in a child og-host (never plugin code in the daemon), at most
/// `--workers` at once, each rolled back on its own. Job outcomes and durations
/// go to the metrics.
struct ServeRenewalDeployer: RenewalDeploying {
    let service: CertificateDeployService
    let parallel: Int
    let metrics: ServeMetrics

    func deploy(lineage: String) throws -> RenewalDeployOutcome {
        let limit = min(max(parallel, CertificateDeployService.parallelRange.lowerBound),
                        CertificateDeployService.parallelRange.upperBound)
        let report = try service.deploy(name: lineage, parallel: limit)
        for row in report.rows {
            metrics.recordJob(kind: "install", outcome: row.outcome.rawValue, seconds: row.seconds)
        }
        let failed = report.rows.filter { !$0.succeeded }
        return RenewalDeployOutcome(
            succeeded: failed.isEmpty,
            message: "\(report.rows.count - failed.count) of \(report.rows.count) endpoint(s) deployed"
                + (failed.isEmpty ? "" : "; failed: " + failed.map { "\($0.endpoint) (\($0.outcome.rawValue): \($0.message))" }
                    .joined(separator: "; ")))
    }
}
