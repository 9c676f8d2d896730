import ArgumentParser
import Foundation
import OGHost

/// `og-host renew`: one idempotent renewal pass.
struct RenewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renew",
        abstract: "Renew every certificate that is due (one pass; what is not due is skipped and said so).",
        discussion: """
        A certificate is due when a third of its lifetime remains (half for 10 days or less), or --renew-before-days \
        days before expiry (og-host cert policy), or at a random point inside its CA's renewal window (ACME Renewal \
        Information), and always when less than a twentieth remains. Certificates from an ACME issuer (og-host cert \
        issue) are renewed with the settings cert issue was given and, with auto-deploy on, deployed to their \
        bindings; certificates brought by hand are reported as needing the operator. A failure backs off by its kind \
        (rate limit: the CA's Retry-After; failed validation; network), and the backoff survives restarts.

        Exit status: 0 when nothing failed (including nothing due), else the category of the first failure.
        """)
    @Flag(name: .customLong("dry-run"), help: "Say what a pass would do; nothing is claimed, written or ordered.") var dryRun = false
    @Option(name: .long, help: "Renew this certificate now, whatever its due time or backoff; repeatable.") var force: [String] = []
    @Option(name: .long, help: "text or json") var output: OutputFormat = .text

    func run() throws {
        try runReportingErrors {
            let report = try RenewalPass(gateway: openGateway()).run(now: Date(), dryRun: dryRun, force: force)
            if output == .json {
                printOut(try JSONOutput.render(report))
            } else {
                printOut(GatewayError.rendering(Self.text(report), fieldName: optionSpelling))
            }
            if let failure = report.items.first(where: { $0.outcome == .failed || $0.deploy?.succeeded == false }) {
                let category = (failure.outcome == .failed ? failure.category : failure.deploy?.category)
                    .flatMap(GatewayError.Category.init(rawValue:)) ?? .internal
                throw ExitCode(category.exitCode)
            }
            if let retry = report.deployRetries.first(where: { !$0.succeeded }) {
                throw ExitCode((retry.category.flatMap(GatewayError.Category.init(rawValue:)) ?? .internal).exitCode)
            }
        }
    }

    static func text(_ report: RenewalPassReport) -> String {
        var lines: [String] = []
        let format = ISO8601DateFormatter()
        for item in report.items {
            var line = "\(item.name): \(item.outcome.rawValue): \(item.message)"
            if let deploy = item.deploy { line += "\n  deploy: \(deploy.succeeded ? "" : "FAILED: ")\(deploy.message)" }
            for warning in item.warnings { line += "\n  warning: \(warning)" }
            lines.append(line)
        }
        for retry in report.deployRetries {
            lines.append("\(retry.name): deploy retried: \(retry.succeeded ? "" : "FAILED: ")\(retry.message)")
        }
        if report.items.isEmpty { lines.append("Nothing is due\(report.dryRun ? " (dry run)" : "").") }
        if report.notDue > 0 {
            var line = "\(report.notDue) \(report.items.isEmpty ? "" : "other ")certificate(s) not due"
            if let next = report.upcoming.first { line += "; next: \(next.name) at \(format.string(from: next.at))" }
            lines.append(line + ".")
        }
        if report.dryRun && !report.items.isEmpty { lines.append("Dry run: nothing was changed.") }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension CertCommand {
    /// `cert policy`: a certificate's renewal policy, or the gateway default.
    struct Policy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "policy",
            abstract: "Show or change a certificate's renewal policy (or, with --default, the gateway's).",
            discussion: """
            og-host cert policy NAME [--renew-before-days N|default] [--auto-deploy on|off|default] [--issuer NAME|manual]
            og-host cert policy --default [--renew-before-days N|default] [--auto-deploy on|off]

            Without changes it prints the policy and the renewal state (due time and why, backoff, last outcome). \
            --issuer manual makes the operator the issuer (renew reports the certificate as needing them); an ACME \
            issuer needs the names and challenge settings a cert issue of NAME recorded.
            """)
        @Argument(help: "Certificate name.") var name: String?
        @Flag(name: .customLong("default"), help: "Show or change the gateway default instead.") var gatewayDefault = false
        @Option(name: .customLong("renew-before-days"), help: "Days before expiry to renew (1-120), or default.")
        var renewBeforeDays: String?
        @Option(name: .customLong("auto-deploy"), help: "Deploy each renewed version to the certificate's bindings: on, off or default.")
        var autoDeploy: String?
        @Option(name: .long, help: "The issuer renewals go through, or manual.") var issuer: String?
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let days = try parseDays()
                let policies = RenewalPolicies(gateway: try openGateway())
                if gatewayDefault {
                    guard name == nil else { throw GatewayError.option("default", "takes no certificate name; give one or the other") }
                    guard issuer == nil else { throw GatewayError.option("issuer", "is set per certificate, not as a default") }
                    var deploy: Bool?
                    switch try parseAutoDeploy() {
                    case .keep: deploy = nil
                    case .set(let value): deploy = value
                    case .useDefault: throw GatewayError.option("auto-deploy", "'default' is for a certificate; the default is on or off")
                    }
                    let defaults = (renewBeforeDays == nil && deploy == nil) ? try policies.defaults()
                        : try policies.updateDefaults(renewBeforeDays: days, autoDeploy: deploy)
                    if output == .json { return printOut(try JSONOutput.render(DefaultsView(defaults))) }
                    return printOut("""
                    Default renewal: \(defaults.renewBeforeDays.map { "\($0) days before expiry" } ?? "when a third of the lifetime remains (half for 10 days or less)")
                    Auto-deploy:     \(defaults.autoDeploy ? "on" : "off")

                    """)
                }
                guard let name else { throw GatewayError.option("name", "give a certificate name, or --default") }
                let changing = renewBeforeDays != nil || autoDeploy != nil || issuer != nil
                let view = changing ? try policies.update(name, renewBeforeDays: days, autoDeploy: try parseAutoDeploy(), issuer: issuer)
                    : try policies.show(name)
                if output == .json { return printOut(try JSONOutput.render(view)) }
                printOut(GatewayError.rendering(Self.text(view), fieldName: optionSpelling))
            }
        }

        func parseDays() throws -> RenewalPolicies.Change<Int> {
            guard let renewBeforeDays else { return .keep }
            if renewBeforeDays == "default" { return .useDefault }
            guard let days = Int(renewBeforeDays) else {
                throw GatewayError.option("renew-before-days", "'\(renewBeforeDays)' is not a number of days (1-120) or default")
            }
            try RenewalPolicy.validate(renewBeforeDays: days)
            return .set(days)
        }

        func parseAutoDeploy() throws -> RenewalPolicies.Change<Bool> {
            switch autoDeploy {
            case nil: return .keep
            case "on": return .set(true)
            case "off": return .set(false)
            case "default": return .useDefault
            case let other?: throw GatewayError.option("auto-deploy", "'\(other)' is not on, off or default")
            }
        }

        static func text(_ view: RenewalPolicyView) -> String {
            let format = ISO8601DateFormatter()
            func time(_ date: Date?) -> String { date.map { format.string(from: $0) } ?? "-" }
            let names = view.settings["names"].map { $0.split(separator: "\n").joined(separator: ", ") }
            return """
            Certificate:       \(view.name)
            Issuer:            \(view.issuer ?? "manual (the operator brings each version)")\(names.map { " for \($0)" } ?? "")
            Renew:             \(view.renewBeforeDays.map { "\($0) days before expiry" } ?? "when a third of the lifetime remains (half for 10 days or less)")\(view.renewBeforeDaysIsDefault ? " (gateway default)" : "")
            Auto-deploy:       \(view.autoDeploy ? "on" : "off")\(view.autoDeployIsDefault ? " (gateway default)" : "")
            Due:               \(view.needsPlanning ? "not planned yet (og-host renew plans it)" : time(view.dueAt))\(view.dueReason.map { " (\($0))" } ?? "")
            Emergency from:    \(time(view.emergencyAt))
            CA window:         \(view.ariWindowStart == nil ? "-" : "\(time(view.ariWindowStart)) to \(time(view.ariWindowEnd)), chosen \(time(view.ariChosenAt))")
            Next attempt:      \(time(view.nextAttemptAt))
            Failures:          \(view.failures)\(view.errorClass.map { " (\($0))" } ?? "")
            Backoff until:     \(time(view.backoffUntil))
            Last error:        \(view.lastError ?? "-")
            Last outcome:      \(view.lastOutcome ?? "-")\(view.lastAttemptAt.map { " at \(format.string(from: $0))" } ?? "")
            Last renewed:      \(time(view.lastRenewedAt))
            Renewing now:      \(view.claimedBy ?? "-")

            """
        }
    }

    struct DefaultsView: Encodable {
        var renewBeforeDays: Int?
        var autoDeploy: Bool
        init(_ defaults: RenewalDefaults) {
            renewBeforeDays = defaults.renewBeforeDays
            autoDeploy = defaults.autoDeploy
        }
    }
}
