import Foundation
import OGBasics
import OGHost
import OGInventory
import OGTestSupport
import Testing

/// A unix datagram socket the test listens on, standing in for systemd's `$NOTIFY_SOCKET`.
final class NotifyListener: @unchecked Sendable {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    /// The next datagram, or nil after `timeout` seconds.
    func receive(timeout: TimeInterval) -> String? {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(timeout * 1000)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
    }

    /// Datagrams until one contains `wanted` (returned), or nil after `timeout`.
    func wait(for wanted: String, timeout: TimeInterval) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let message = receive(timeout: deadline.timeIntervalSinceNow), message.contains(wanted) { return message }
        }
        return nil
    }

    deinit {
        close(fd)
        unlink(path)
    }
}

@Suite struct ServeConfigurationTests {
    @Test func aCompleteConfigurationIsRead() throws {
        let text = #"""
        {"hooks": {"renewed": ["/bin/echo", "renewed"], "*": ["/usr/bin/logger", "-t", "og"]},
         "hookTimeoutSeconds": 5, "webhook": {"url": "https://hooks.example.net/og?token=x", "timeoutSeconds": 2.5},
         "watchIntervalSeconds": 600, "renewalCheckIntervalSeconds": 30, "recoveryIntervalSeconds": 45, "stopTimeoutSeconds": 20}
        """#
        let configuration = try ServeConfiguration.parse(Array(text.utf8), source: "serve.json")
        #expect(configuration.hook(for: .renewed) == ["/bin/echo", "renewed"])
        #expect(configuration.hook(for: .deployFailed) == ["/usr/bin/logger", "-t", "og"])
        #expect(configuration.hookTimeout == .seconds(5))
        #expect(configuration.webhookURL == "https://hooks.example.net/og?token=x")
        #expect(configuration.webhookTimeout == .milliseconds(2500))
        #expect(configuration.watchInterval == 600 && configuration.renewalCheckInterval == 30)
        #expect(configuration.recoveryInterval == 45 && configuration.stopTimeout == 20)
        #expect(try ServeConfiguration.parse(Array("{}".utf8), source: "x") == ServeConfiguration())
    }

    @Test(arguments: [
        (#"{"hooks": {"renewd": ["/bin/true"]}}"#, "field `hooks.renewd` is not an event kind"),
        (#"{"hooks": {"renewed": ["true"]}}"#, "field `hooks.renewed[0]` 'true' must be an absolute path"),
        (#"{"hooks": {"renewed": []}}"#, "field `hooks.renewed` must be a non-empty array"),
        (#"{"hooks": {"renewed": ["/bin/echo", 3]}}"#, "field `hooks.renewed[1]` must be a non-empty string"),
        (#"{"hookTimeoutSeconds": 0}"#, "field `hookTimeoutSeconds` must be a number of seconds from 1 to 3600"),
        (#"{"hookTimeoutSeconds": "10"}"#, "field `hookTimeoutSeconds` must be a number"),
        (#"{"webhook": {"url": "ftp://x/"}}"#, "field `webhook.url` must be an http:// or https:// URL"),
        (#"{"webhook": {"url": "https://u:p@x/"}}"#, "field `webhook.url` must not carry a user or password"),
        (#"{"webhook": {"url": "https://x/", "secret": "s"}}"#, "field `webhook.secret` is not a webhook setting"),
        (#"{"watchInterval": 5}"#, "field `watchInterval` is not a setting"),
        (#"[1]"#, "is not a JSON object"),
        (#"{"hooks": "#, "not valid JSON"),
    ])
    func badConfigurationIsRefusedNamingTheField(text: String, expected: String) throws {
        let error = #expect(throws: GatewayError.self) { try ServeConfiguration.parse(Array(text.utf8), source: "serve.json") }
        #expect(error?.field == "config")
        #expect(error?.category == .badInput)
        #expect(error?.problem.hasPrefix("serve.json: ") == true)
        #expect(error?.problem.contains(expected) == true, "\(error?.problem ?? "")")
    }

    @Test func listenMustBeLoopbackAndWorkersBounded() throws {
        let v4 = try ServeOptions(listen: "127.0.0.1:9464", configPath: nil, workers: nil)
        #expect(v4.listenHost == "127.0.0.1" && v4.listenPort == 9464 && v4.workers == ServeOptions.defaultWorkers)
        #expect(try ServeOptions(listen: "[::1]:80", configPath: nil, workers: 2).listenHost == "::1")
        #expect(try ServeOptions(listen: "localhost:80", configPath: nil, workers: 2).listenHost == "127.0.0.1")
        #expect(try ServeOptions(listen: "127.8.9.10:80", configPath: nil, workers: 2).listenHost == "127.8.9.10")
        for bad in ["0.0.0.0:9464", "10.1.2.3:80", "[::]:80", "example.com:80", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000"] {
            let error = #expect(throws: GatewayError.self) { try ServeOptions(listen: bad, configPath: nil, workers: nil) }
            #expect(error?.field == "listen", "\(bad)")
        }
        let workers = #expect(throws: GatewayError.self) { try ServeOptions(listen: nil, configPath: nil, workers: 0) }
        #expect(workers?.field == "workers")
        #expect(try ServeOptions(listen: nil, configPath: "rel/serve.json", workers: nil).configPath?.hasPrefix("/") == true)
    }
}

@Suite struct SystemdNotifierTests {
    @Test func messagesReachTheSocketNamedByNotifySocket() throws {
        let directory = try TemporaryDirectory("og-notify")
        let listener = try NotifyListener(path: directory.file("notify"))
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.path])
        #expect(notifier.isEnabled)
        #expect(notifier.notify("READY=1\nSTATUS=idle"))
        #expect(listener.receive(timeout: 5) == "READY=1\nSTATUS=idle")
        notifier.status("two\nlines")
        #expect(listener.receive(timeout: 5) == "STATUS=two lines")
    }

    @Test func withoutNotifySocketNothingIsSentAndTheWatchdogFollowsItsVariables() {
        #expect(!SystemdNotifier(environment: [:]).isEnabled)
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"))
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "3000000"]).watchdogInterval == .milliseconds(1500))
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "1"], pid: 2).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "7"], pid: 7).watchdogInterval != nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "0"]).watchdogInterval == nil)
    }
}

/// A webhook receiver: python's http.server answering the first `failures` POSTs with 503, then 200,
/// appending every body it received to a file.
final class WebhookReceiver: @unchecked Sendable {
    let port = Loopback.freePort()
    let bodies: String
    let server: ChildServer

    init(directory: TemporaryDirectory, failures: Int) throws {
        bodies = directory.file("webhook.bodies")
        let script = directory.file("webhook.py")
        try """
        import http.server, sys
        failures = [\(failures)]
        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers['Content-Length']))
                with open(sys.argv[2], 'ab') as f: f.write(self.headers['X-OG-Event'].encode() + b' ' + body)
                code = 503 if failures[0] > 0 else 200
                failures[0] -= 1
                self.send_response(code); self.send_header('Content-Length', '0'); self.end_headers()
            def log_message(self, *a): pass
        http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
        """.write(toFile: script, atomically: true, encoding: .utf8)
        server = try ChildServer("/usr/bin/python3", [script, String(port), bodies], port: port,
                                 logPath: directory.file("webhook.log"))
    }

    var received: String { (try? String(contentsOfFile: bodies, encoding: .utf8)) ?? "" }
}

@Suite(.serialized) struct EventDeliveryTests {
    static func gateway(_ directory: TemporaryDirectory) throws -> Gateway {
        try Gateway(dataDirectory: directory.file("data"), pluginDirectories: [], describer: { .failure(.missingEntry(path: $0)) }, environment: [:])
    }

    static func hook(_ directory: TemporaryDirectory, exitStatus: Int = 0) throws -> String {
        let path = directory.file("hook-\(exitStatus).sh")
        try "#!/bin/sh\ncat >> \(directory.file("hook.out"))\necho \"kind=$OG_EVENT_KIND\" >> \(directory.file("hook.out"))\necho refused >&2\nexit \(exitStatus)\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    @Test func aHookReceivesTheEventAsJSONOnStandardInputAndTheEventIsDelivered() throws {
        let directory = try TemporaryDirectory("og-events")
        let gateway = try Self.gateway(directory)
        let event = try gateway.inventory().recordEvent(
            GatewayEvent(kind: .deployed, subject: "www", endpoint: "web1", payloadJSON: #"{"version":2,"node":"a"}"#))
        var configuration = ServeConfiguration()
        configuration.hooks["deployed"] = [try Self.hook(directory), "--flag"]
        let round = try EventDelivery(gateway: gateway, configuration: configuration).deliverDue()
        #expect(round.delivered == 1 && round.failed == 0)
        let output = try String(contentsOfFile: directory.file("hook.out"), encoding: .utf8)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 2)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(document["kind"] as? String == "deployed")
        #expect(document["subject"] as? String == "www")
        #expect(document["endpoint"] as? String == "web1")
        #expect((document["id"] as? NSNumber)?.int64Value == event.id)
        #expect((document["attempt"] as? NSNumber)?.intValue == 1)
        #expect((document["payload"] as? [String: Any])?["node"] as? String == "a")
        #expect(lines[1] == "kind=deployed")
        #expect(try gateway.inventory().undeliveredEventCount() == 0)
    }

    @Test func aFailingHookKeepsTheEventForALaterAttemptWithItsError() throws {
        let directory = try TemporaryDirectory("og-events")
        let gateway = try Self.gateway(directory)
        try gateway.inventory().recordEvent(GatewayEvent(kind: .renewalFailed, subject: "www"))
        var configuration = ServeConfiguration()
        configuration.hooks["*"] = [try Self.hook(directory, exitStatus: 3)]
        let before = Date()
        let round = try EventDelivery(gateway: gateway, configuration: configuration).deliverDue()
        #expect(round.delivered == 0 && round.failed == 1)
        let waiting = try gateway.inventory().undeliveredEvents(limit: 10)
        #expect(waiting.count == 1)
        #expect(waiting[0].attempts == 1)
        #expect(waiting[0].lastError?.contains("exited with status 3: refused") == true, "\(waiting[0].lastError ?? "")")
        #expect((waiting[0].nextAttemptAt ?? .distantPast) >= before.addingTimeInterval(14))
        // Not due again yet: a second round now does nothing.
        #expect(try EventDelivery(gateway: gateway, configuration: configuration).deliverDue().delivered + (try EventDelivery(gateway: gateway, configuration: configuration).deliverDue().failed) == 0)
        #expect(EventDelivery.backoff(afterAttempt: 1) == 15 && EventDelivery.backoff(afterAttempt: 3) == 60)
        #expect(EventDelivery.backoff(afterAttempt: 30) == 3_600)
    }

    @Test func theWebhookIsRetriedWithoutRunningTheSucceededHookAgain() throws {
        let directory = try TemporaryDirectory("og-events")
        let gateway = try Self.gateway(directory)
        let receiver = try WebhookReceiver(directory: directory, failures: 1)
        defer { receiver.server.stop() }
        try gateway.inventory().recordEvent(GatewayEvent(kind: .expiring, subject: "api", payloadJSON: #"{"daysLeft":3}"#))
        var configuration = ServeConfiguration()
        configuration.hooks["expiring"] = [try Self.hook(directory)]
        configuration.webhookURL = "http://127.0.0.1:\(receiver.port)/og?token=secret"
        let delivery = EventDelivery(gateway: gateway, configuration: configuration)
        let first = try delivery.deliverDue()
        #expect(first.failed == 1)
        let waiting = try #require(try gateway.inventory().undeliveredEvents(limit: 1).first)
        #expect(waiting.channelsDelivered == ["hook"])
        #expect(waiting.lastError?.contains("answered HTTP 503") == true, "\(waiting.lastError ?? "")")
        #expect(waiting.lastError?.contains("secret") == false, "the query (a token) is not repeated in errors")
        let second = try delivery.deliverDue(now: Date().addingTimeInterval(3_600))
        #expect(second.delivered == 1)
        let hookRuns = try String(contentsOfFile: directory.file("hook.out"), encoding: .utf8)
            .split(separator: "\n").filter { $0.hasPrefix("kind=") }
        #expect(hookRuns.count == 1, "the hook ran once although delivery took two rounds")
        let posts = receiver.received
        #expect(posts.components(separatedBy: "expiring {").count == 3, "\(posts)")
        #expect(posts.contains(#""attempt":2"#))
        #expect(posts.contains(#""daysLeft":3"#))
    }

    @Test func withNoChannelConfiguredEventsAreMarkedDelivered() throws {
        let directory = try TemporaryDirectory("og-events")
        let gateway = try Self.gateway(directory)
        try gateway.inventory().recordEvent(GatewayEvent(kind: .renewed, subject: "www"))
        let round = try EventDelivery(gateway: gateway, configuration: ServeConfiguration()).deliverDue()
        #expect(round.delivered == 1)
        #expect(try gateway.inventory().undeliveredEventCount() == 0)
    }
}
