import ArgumentParser
import Foundation
import OGHost

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Show the audit trail: who did what, when, and how it ended.")
    @Option(name: .long, help: "Only records about this endpoint name or ID.") var subject: String?
    @Option(name: .long, help: "Only records about this endpoint (its name; same as --subject).") var endpoint: String?
    @Option(name: .long, help: "Only records at or after this time (ISO 8601, e.g. 2026-12-06T05:00:00Z, or a date).") var since: String?
    @Option(name: .long, help: "Only records before this time (ISO 8601 or a date).") var until: String?
    @Option(name: .long, help: "Only records with this outcome: success or failure.") var outcome: String?
    @Option(name: .long, help: "Only this action, e.g. tls.add.") var action: String?
    @Option(name: .long, help: "At most this many records (newest).") var limit: Int = 100
    @Option(name: .long, help: "text or json") var output: OutputFormat = .text

    func run() throws {
        try runReportingErrors {
            let records = try openGateway().auditRecords(subject: endpoint ?? subject, action: action, since: since,
                                                         until: until, outcome: outcome, limit: limit)
            if output == .json {
                printOut(try JSONOutput.render(records))
                return
            }
            let formatter = ISO8601DateFormatter()
            printOut(Table.render(header: ["TIME", "ACTOR", "ACTION", "SUBJECT", "OUTCOME", "DETAIL"], rows: records.map {
                [formatter.string(from: $0.time), $0.actor, $0.action, $0.subject, $0.outcome.rawValue, $0.detail]
            }))
        }
    }
}
