import ArgumentParser
import Foundation
import OGBasics
import OGHost

extension CertCommand {
    struct Deploy: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "deploy",
            abstract: "Install the current version of a certificate on every endpoint it is bound to, in parallel.",
            discussion: """
            One job per endpoint, each in its own og-host process, covering the endpoint's bound nodes and rolled back \
            on its own; an endpoint that fails, crashes or hangs does not stop the others. An endpoint whose files \
            already hold the certificate (and serve it) is left alone and reported unchanged, unless --force. \
            Exit status: 0 when every endpoint succeeded, 9 (partial) when some did, otherwise the most severe failure.
            """)
        @Argument(help: "Name of the certificate (see og-host cert list).") var name: String
        @Option(name: .customLong("endpoint"), help: ArgumentHelp("Only this bound endpoint (name or ID); repeatable.", valueName: "endpoint"))
        var endpoints: [String] = []
        @Option(name: .long, help: "Endpoints worked on at once, at most (1-64, default 8; fewer job processes while the CPUs are saturated).") var parallel: Int = CertificateDeployService.defaultParallel
        @Option(name: .long, help: "Seconds each job waits while another job holds its endpoint (default 5).") var wait: Double = 5
        @Flag(name: .long, help: "Install even where the endpoint already holds the certificate.") var force = false
        @Option(name: .long, help: "text or json") var output: OutputFormat = .text

        func run() throws {
            try runReportingErrors {
                let service = try CertificateDeployService(gateway: try openGateway())
                let display = DeployDisplay(mode: output == .json ? .quiet : (isatty(1) == 1 ? .terminal : .lines))
                let report = try service.deploy(name: name, endpoints: endpoints, parallel: parallel, wait: wait, force: force,
                                                progress: { display.handle($0) })
                display.end()
                if output == .json {
                    printOut(try JSONOutput.render(report))
                } else {
                    for row in report.rows where !row.succeeded {
                        StandardStreams.error("error: endpoint '\(row.endpoint)': \(row.message)\n")
                    }
                    printOut("\n" + Table.render(header: ["ENDPOINT", "NODES", "OUTCOME", "SECONDS", "SHA-256", "MESSAGE"], rows: report.rows.map { row in
                        [row.endpoint, row.nodes.map { $0.isEmpty ? "(default)" : $0 }.joined(separator: ","), row.outcome.rawValue,
                         String(format: "%.1f", row.seconds), row.fingerprint.map { String($0.prefix(16)) } ?? "-",
                         String(row.message.split(separator: "\n").first ?? "")]
                    }))
                    printOut("\(report.succeeded) of \(report.rows.count) endpoints succeeded"
                             + " (certificate '\(report.certificate)' version \(report.version.map(String.init) ?? "-"), "
                             + "SHA-256 \(report.fingerprint.prefix(16)), \(String(format: "%.1f", report.seconds)) s, parallel \(report.parallel)).\n")
                }
                if let category = report.category { throw ExitCode(category.exitCode) }
            }
        }
    }
}

/// Shows a deploy while it runs: on a terminal a status line redrawn in place
/// under one line per finished endpoint; otherwise one line per endpoint as it
/// finishes (for logs and pipes); nothing for --output json.
final class DeployDisplay: @unchecked Sendable {
    enum Mode { case terminal, lines, quiet }
    private let mode: Mode
    private let lock = Locked()
    private var total = 0
    private var running: [String] = []
    private var done = 0
    private var failed = 0
    private var lastLine: [String: String] = [:]

    init(mode: Mode) { self.mode = mode }

    func handle(_ event: DeployEvent) {
        guard mode != .quiet else { return }
        lock.withLock {
            switch event {
            case .planned(let endpoints):
                total = endpoints.count
            case .started(let endpoint):
                running.append(endpoint)
            case .progress(let endpoint, let line):
                lastLine[endpoint] = line
            case .finished(let row):
                running.removeAll { $0 == row.endpoint }
                done += 1
                if !row.succeeded { failed += 1 }
                let line = "\(row.endpoint): \(row.outcome.rawValue) (\(String(format: "%.1f", row.seconds)) s)"
                    + (row.succeeded ? "" : ": " + String(row.message.split(separator: "\n").first ?? ""))
                if mode == .terminal { clearStatus() }
                printOut(line + "\n")
            }
            if mode == .terminal { drawStatus() }
        }
    }

    func end() {
        guard mode == .terminal else { return }
        lock.withLock { clearStatus() }
    }

    private func clearStatus() { printOut("\r\u{1b}[K") }

    private func drawStatus() {
        var status = "[\(done)/\(total)] \(running.count) running, \(failed) failed"
        if let current = running.last, let line = lastLine[current] { status += " — \(current): \(line)" }
        var size = winsize()
        let width = ioctl(1, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 100
        printOut("\r\u{1b}[K" + String(status.prefix(max(width - 1, 20))))
    }
}
