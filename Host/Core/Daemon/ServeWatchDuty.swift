import Foundation
import OGInventory

extension ServeDuties {
    /// Every `watchIntervalSeconds`: probes what each bound node serves
    /// (`ServedCertificateWatch`, handshakes only, no plugin code) and records
    /// `expiring` and `served-mismatch` events, once per distinct condition.
    public static func watch() -> ServeDuty {
        ServeDuty(name: "watch", due: { context, last in
            guard let last else { return .distantPast }
            return last.addingTimeInterval(context.configuration.watchInterval)
        }, run: { context in
            let inventory = context.inventory
            let watch = ServedCertificateWatch(gateway: context.gateway, window: { record in
                // The lineage's policy (its renew-before-days, else the gateway rule), without jitter.
                let lineage = record.lineage ?? record.name ?? ""
                let days = (try? inventory.renewalSchedule(lineage: lineage))?.renewBeforeDays
                    ?? (try? inventory.renewalDefaults())?.renewBeforeDays
                guard let notAfter = record.notAfter else { return .distantFuture }
                var fixed = FixedRandom()
                return RenewalPolicy(renewBeforeDays: days)
                    .decide(notBefore: record.notBefore ?? notAfter.addingTimeInterval(-90 * 86_400), notAfter: notAfter,
                            using: &fixed).dueAt
            }, parallel: context.workers)
            let findings = try watch.run()
            var raised = 0
            for finding in findings {
                context.metrics.countJob(kind: "watch", outcome: finding.kind.rawValue)
                let kind: GatewayEvent.Kind
                switch finding.kind {
                case .expiring: kind = .expiring
                case .mismatch: kind = .servedMismatch
                default: continue
                }
                let key = ["served", finding.kind.rawValue, finding.endpointID, finding.node,
                           finding.servedFingerprint ?? "-", finding.deployedFingerprint ?? "-"].joined(separator: ":")
                let event = try GatewayEvent(kind: kind, subject: finding.lineage, endpoint: finding.endpointName,
                                             payload: finding, dedupeKey: key)
                if try inventory.recordEvent(event).createdAt == event.createdAt { raised += 1 }
            }
            let problems = findings.filter { $0.kind != .ok }.count
            return "\(findings.count) binding(s) probed, \(problems) not ok" + (raised > 0 ? ", \(raised) new event(s)" : "")
        })
    }
}

/// No jitter for the watch's window: the same certificate always gets the same answer.
struct FixedRandom: RandomNumberGenerator {
    mutating func next() -> UInt64 { UInt64.max / 2 }
}
