import ArgumentParser
import Foundation
import OGHost

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway daemon: renewals when due, served-certificate watch, event hooks, metrics.",
        discussion: """
        One daemon per data directory (it holds <data>/serve.lock). Endpoint work runs in child og-host
        processes, never in the daemon. SIGTERM or SIGINT stops it gracefully (running work finishes or hands
        back its leases within stopTimeoutSeconds); SIGHUP re-reads --config (an invalid file is refused and
        the previous configuration stays in force). Under systemd (Type=notify) it reports READY=1, STATUS=,
        STOPPING=1 and WATCHDOG=1 through $NOTIFY_SOCKET. Logs go to standard error.

        --config FILE is JSON, every key optional:
          {"hooks": {"renewed": ["/usr/local/bin/notify", "certs"], "*": ["/usr/bin/logger", "-t", "og-host"]},
           "hookTimeoutSeconds": 30, "webhook": {"url": "https://hooks.example.net/og", "timeoutSeconds": 10},
           "watchIntervalSeconds": 3600, "renewalCheckIntervalSeconds": 60, "recoveryIntervalSeconds": 60,
           "stopTimeoutSeconds": 60}
        Event kinds: renewed, deployed, deploy-failed, renewal-failed, expiring, served-mismatch ("*" = any
        other). A hook reads the event as one JSON document on standard input; OG_EVENT_KIND and OG_EVENT_ID
        are in its environment. The webhook receives the same document by POST.
        """)

    @Option(name: .long, help: "Serve /metrics (Prometheus) and /healthz on this loopback ADDRESS:PORT, e.g. 127.0.0.1:9464.")
    var listen: String?
    @Option(name: .long, help: "JSON configuration file (hooks, webhook, intervals); re-read on SIGHUP.")
    var config: String?
    @Option(name: .long, help: "Endpoint jobs run at once, each in its own child process (default 4).")
    var workers: Int?

    func run() throws {
        try runReportingErrors {
            let options = try ServeOptions(listen: listen, configPath: config, workers: workers)
            let gateway = try openGateway()
            let daemon = ServeDaemon(gateway: gateway, options: options, duties: ServeDuties.standard())
            try daemon.run()
        }
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show whether og-host serve runs on this data directory, its work and undelivered events.")
    @Option(name: .long, help: "text or json") var output: OutputFormat = .text

    func run() throws {
        try runReportingErrors {
            let report = try ServeStatusReport.gather(gateway: try openGateway())
            if output == .json {
                printOut(try JSONOutput.render(report))
                return
            }
            let time = ISO8601DateFormatter()
            if report.running {
                printLine("og-host serve: running" + (report.pid.map { " (PID \($0))" } ?? "") + " on \(report.dataDirectory)")
            } else {
                printLine("og-host serve: not running on \(report.dataDirectory)")
            }
            if let daemon = report.daemon {
                let label = report.running ? "" : "last daemon (PID \(daemon.pid)), state of \(time.string(from: daemon.updatedAt)): "
                printLine("  \(label)started \(time.string(from: daemon.startedAt)), \(daemon.workers) worker(s), "
                          + "metrics \(daemon.listen ?? "off"), config \(daemon.configPath ?? "none")")
                if let error = daemon.configurationError {
                    printLine("  configuration error (previous configuration in force): \(error)")
                }
                if !daemon.duties.isEmpty {
                    printOut(Table.render(header: ["DUTY", "STATE", "LAST RUN", "LAST OUTCOME", "NEXT DUE"], rows: daemon.duties.map { duty in
                        let message = duty.lastMessage.map { $0.isEmpty ? "" : ": \($0)" } ?? ""
                        return [duty.name, duty.running ? "running" : "idle", duty.lastRunAt.map(time.string(from:)) ?? "-",
                                duty.lastSucceeded.map { ($0 ? "ok" : "failed") + message } ?? "-",
                                duty.nextDueAt.map(time.string(from:)) ?? "-"]
                    }))
                }
            }
            if report.nextDue.isEmpty {
                printLine("renewals: nothing scheduled")
            } else {
                printLine("next renewals:")
                printOut(Table.render(header: ["CERTIFICATE", "NEXT ATTEMPT", "REASON"], rows: report.nextDue.map {
                    [$0.name, $0.nextAttemptAt.map(time.string(from:)) ?? "-", $0.reason ?? "-"]
                }))
            }
            if !report.failing.isEmpty {
                printLine("failing renewals:")
                printOut(Table.render(header: ["CERTIFICATE", "FAILURES", "CLASS", "BACKOFF UNTIL", "LAST ERROR"], rows: report.failing.map {
                    [$0.name, String($0.failures), $0.errorClass ?? "-", $0.backoffUntil.map(time.string(from:)) ?? "-", $0.lastError ?? "-"]
                }))
            }
            if report.owedDeployCount > 0 {
                printLine("owed deploys (\(report.owedDeployCount) binding(s)):")
                printOut(Table.render(header: ["CERTIFICATE", "ENDPOINT", "NODE", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR"],
                                      rows: report.owedDeploys.map {
                    [$0.name, $0.endpoint, $0.node.isEmpty ? "-" : $0.node, $0.state, String($0.attempts),
                     time.string(from: $0.nextAttemptAt), $0.lastError.map { String($0.prefix(120)) } ?? "-"]
                }))
            }
            printLine("undelivered events: \(report.undeliveredEvents)")
            if !report.pendingEvents.isEmpty {
                printOut(Table.render(header: ["ID", "KIND", "SUBJECT", "ENDPOINT", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR"],
                                      rows: report.pendingEvents.map {
                    [String($0.id), $0.kind, $0.subject, $0.endpoint ?? "-", String($0.attempts),
                     $0.nextAttemptAt.map(time.string(from:)) ?? "-", $0.lastError ?? "-"]
                }))
            }
        }
    }
}
