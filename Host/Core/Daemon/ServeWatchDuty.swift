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
            let watch = ServedCertificateWatch(gateway: context.gateway,
                                               window: ServedCertificateWatch.policyWindow(inventory: inventory),
                                               parallel: context.workers)
            let findings = try watch.run()
            var raised = 0
            for finding in findings {
                context.metrics.countJob(kind: "watch", outcome: finding.kind.rawValue)
                let event: GatewayEvent
                switch finding.kind {
                case .expiring where finding.servesCurrentVersion:
                    // The fact is about the version, not the node: the same event the renewal pass raises for it.
                    guard let current = try inventory.currentCertificate(lineage: finding.lineage),
                          current.id == finding.currentCertificateID else { continue }
                    event = try GatewayEvent.expiring(lineage: finding.lineage, version: current)
                case .expiring:
                    event = try GatewayEvent(kind: .expiring, subject: finding.lineage, endpoint: finding.endpointName,
                                             payload: finding, dedupeKey: GatewayEvent.servedKey(finding))
                case .mismatch:
                    event = try GatewayEvent(kind: .servedMismatch, subject: finding.lineage, endpoint: finding.endpointName,
                                             payload: finding, dedupeKey: GatewayEvent.servedKey(finding))
                default: continue
                }
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
