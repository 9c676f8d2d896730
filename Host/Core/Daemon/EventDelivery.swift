import Foundation
import OGBasics
import OGConnections
import OGInventory
import OGJSON
import OGMaterial

/// Delivers the event outbox: each due event goes to the hook command of its
/// kind (the event as a JSON document on standard input) and to the webhook
/// (the same document, POSTed through the outbound HTTP client, so the
/// configured proxy applies). An event is delivered once every configured
/// channel took it; a channel that failed is retried with exponential backoff,
/// and one that succeeded is not run again. The state lives in the outbox, so
/// a restart continues where the last daemon stopped.
public struct EventDelivery {
    public let gateway: Gateway
    public var configuration: ServeConfiguration
    /// Events delivered per call at most, so one call stays short.
    public var batchSize = 50

    public init(gateway: Gateway, configuration: ServeConfiguration) {
        self.gateway = gateway
        self.configuration = configuration
    }

    /// What one round did.
    public struct Round: Sendable, Equatable {
        public var delivered = 0
        public var failed = 0
        /// Per channel ("hook", "webhook"): attempts that succeeded and failed.
        public var channelOutcomes: [String: (succeeded: Int, failed: Int)] = [:]
        public static func == (lhs: Round, rhs: Round) -> Bool {
            lhs.delivered == rhs.delivered && lhs.failed == rhs.failed
        }
    }

    /// The pause after the `attempt`th failed attempt: 15 s doubling, at most an hour.
    public static func backoff(afterAttempt attempt: Int) -> TimeInterval {
        min(15 * pow(2, Double(max(attempt - 1, 0))), 3_600)
    }

    /// Delivers every event due at `now` (at most `batchSize`).
    public func deliverDue(now: Date = Date()) throws -> Round {
        let inventory = try gateway.inventory()
        var round = Round()
        for event in try inventory.undeliveredEvents(limit: batchSize, dueAt: now) {
            guard let id = event.id else { continue }
            var done = event.channelsDelivered
            var errors: [String] = []
            let document = Self.document(event, attempt: event.attempts + 1)
            func attempt(_ channel: String, _ body: () throws -> Void) {
                guard !done.contains(channel) else { return }
                do {
                    try body()
                    done.insert(channel)
                    round.channelOutcomes[channel, default: (0, 0)].succeeded += 1
                } catch {
                    errors.append("\(channel): \(error)")
                    round.channelOutcomes[channel, default: (0, 0)].failed += 1
                }
            }
            if let argv = configuration.hook(for: event.kind) {
                attempt("hook") { try runHook(argv, event: event, document: document) }
            }
            if let url = configuration.webhookURL {
                attempt("webhook") { try post(url, event: event, document: document) }
            }
            if errors.isEmpty {
                try inventory.markDelivered(id, at: Date())
                round.delivered += 1
            } else {
                let retry = Date().addingTimeInterval(Self.backoff(afterAttempt: event.attempts + 1))
                try inventory.markDeliveryFailed(id, channelsDone: done, error: errors.joined(separator: "; "),
                                                 retryAt: retry)
                round.failed += 1
            }
        }
        return round
    }

    /// The document a hook reads on standard input and a webhook receives:
    /// `{"id":…,"kind":…,"scope":…,"subject":…,"endpoint":…,"createdAt":…,"attempt":…,"payload":{…}}`
    /// (scope: certificate, endpoint or node; see `GatewayEvent.Scope`).
    public static func document(_ event: GatewayEvent, attempt: Int) -> [UInt8] {
        let payload = (try? JSON.parse(event.payload)) ?? .object([])
        let time = ISO8601DateFormatter().string(from: event.createdAt)
        let object = JSON.object([
            ("id", .number(String(event.id ?? 0))),
            ("kind", .string(event.kind.rawValue)),
            ("scope", .string(event.scope.rawValue)),
            ("subject", .string(event.subject)),
            ("endpoint", event.endpoint.map(JSON.string) ?? .null),
            ("createdAt", .string(time)),
            ("attempt", .number(String(attempt))),
            ("payload", payload),
        ])
        return object.bytes + [0x0A]
    }

    private func runHook(_ argv: [String], event: GatewayEvent, document: [UInt8]) throws {
        var environment = EnvironmentVariable.all()
        // Identifiers only; everything else is on standard input.
        environment["OG_EVENT_KIND"] = event.kind.rawValue
        environment["OG_EVENT_ID"] = String(event.id ?? 0)
        let output = try ProcessRunner.run(argv[0], Array(argv.dropFirst()), standardInput: document,
                                           environment: environment, timeout: configuration.hookTimeout,
                                           outputLimit: 1 << 20)
        if output.timedOut {
            throw GatewayError("\(argv[0]) did not finish within \(configuration.hookTimeout) and was killed",
                               category: .transient)
        }
        guard output.exitStatus == 0 else {
            let said = Self.excerpt(output.standardErrorText)
            throw GatewayError("\(argv[0]) exited with status \(output.exitStatus)\(said.isEmpty ? "" : ": \(said)")",
                               category: .transient)
        }
    }

    private func post(_ url: String, event: GatewayEvent, document: [UInt8]) throws {
        let anchors = try TrustAnchors(gateway: gateway).list().map { try Certificate(pem: $0.pem, what: "trust anchor \($0.name)") }
        let client = try OutboundHTTP(gateway: gateway).client(
            HTTPClientConfiguration(trust: .verify(additionalAnchors: anchors), connectTimeout: configuration.webhookTimeout,
                                    connectAttempts: 1))
        let request = HTTPRequest(method: "POST", url: url,
                                  headers: [("Content-Type", "application/json"), ("User-Agent", "og-host/\(GatewayVersion.release)"),
                                            ("X-OG-Event", event.kind.rawValue), ("X-OG-Event-ID", String(event.id ?? 0))],
                                  body: document, timeout: configuration.webhookTimeout)
        let response: HTTPResponse
        do {
            response = try client.send(request)
        } catch {
            throw GatewayError("\(URLRedaction.redacted(url)): \(error)", category: .transient)
        }
        guard response.isSuccess else {
            throw GatewayError("\(URLRedaction.redacted(url)) answered HTTP \(response.status)", category: .transient)
        }
    }

    /// The first line of what a hook said, short and printable (it goes to logs and status).
    static func excerpt(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let printable = String(line.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        return printable.count > 200 ? String(printable.prefix(200)) + "…" : printable
    }
}
