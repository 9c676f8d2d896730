import Foundation
import OGBasics
import OGHost
import OGInventory
import OGTestSupport
import Testing

/// The real `og-host serve` binary, started by the test with `$NOTIFY_SOCKET`
/// pointing at a socket the test listens on, stopped by PID.
final class ServeProcess: @unchecked Sendable {
    let directory: TemporaryDirectory
    let dataDirectory: String
    let port = Loopback.freePort()
    let notify: NotifyListener
    let configPath: String
    let daemon: SpawnedDaemon

    init(config: String, extraEnvironment: [String] = [], arguments: [String] = []) throws {
        directory = try TemporaryDirectory("og-serve")
        dataDirectory = directory.file("data")
        configPath = directory.file("serve.json")
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        notify = try NotifyListener(path: directory.file("notify"))
        // SpawnedDaemon passes our environment; the daemon's own variables go through env(1).
        let environment = ["NOTIFY_SOCKET=\(notify.path)", "OG_DATA_DIR=\(dataDirectory)", "OG_PLUGIN_PATH=\(directory.path)/none"]
            + extraEnvironment
        daemon = try SpawnedDaemon("/usr/bin/env", environment + [BuiltProducts.ogHost, "serve", "--listen", "127.0.0.1:\(port)",
                                                                 "--config", configPath] + arguments,
                                   port: port, logPath: directory.file("serve.log"))
    }

    var log: String { (try? String(contentsOfFile: daemon.logPath, encoding: .utf8)) ?? "" }

    func ogHost(_ arguments: [String]) throws -> ProcessOutput {
        try BuiltProducts.runOGHost(arguments, environment: ["OG_DATA_DIR": dataDirectory])
    }

    /// `curl` against the daemon's listener: status line, headers and body.
    func curl(_ path: String, _ extra: [String] = []) throws -> ProcessOutput {
        try ProcessRunner.run("curl", ["-sS", "-i", "--max-time", "10"] + extra + ["http://127.0.0.1:\(port)\(path)"])
    }

    func signal(_ number: Int32) {
        guard daemon.processID > 0 else { return }  // reaped: never kill(0, …), which is our own group
        kill(daemon.processID, number)
    }

    /// Waits for the daemon to exit; its exit status, or nil if it did not within `timeout`.
    func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while Date() < deadline {
            if waitpid(daemon.processID, &status, WNOHANG) == daemon.processID {
                daemon.forgetReaped()
                return status & 0x7f == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
            }
            usleep(50_000)
        }
        return nil
    }

    func inventory() throws -> SQLiteInventory { try SQLiteInventory(path: dataDirectory + "/inventory.sqlite") }
}

func eventually(_ timeout: TimeInterval = 20, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(100_000)
    }
    return try condition()
}

@Suite(.serialized) struct ServeProcessTests {
    func hook(_ directory: TemporaryDirectory, name: String) throws -> String {
        let path = directory.file("\(name).sh")
        try "#!/bin/sh\ncat >> \(directory.file("\(name).out"))\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    @Test func theDaemonIsReadyWatchdoggedScrapedAndStopsGracefullyOnSIGTERM() throws {
        let serve = try ServeProcess(config: "{}", extraEnvironment: ["WATCHDOG_USEC=400000"])
        defer { serve.daemon.stop() }
        #expect(serve.notify.wait(for: "READY=1", timeout: 20) != nil, "READY=1 never arrived: \(serve.log)")
        #expect(serve.notify.wait(for: "WATCHDOG=1", timeout: 5) != nil, "no WATCHDOG=1 within 5 s at WATCHDOG_USEC=400000")

        // A named certificate shows up in the metrics with its days to expiry.
        let inventory = try serve.inventory()
        try inventory.addManagedCertificate(ManagedCertificateRecord(
            name: "www", keySpec: "ec-p256", subject: "CN=www", commonName: "www", subjectAlternativeNames: [],
            csrPEM: nil, status: .issued, origin: .imported, certificatePEM: "-", serial: "01",
            notAfter: Date().addingTimeInterval(10 * 86_400 + 600), fingerprint: "ab"))
        let metrics = try serve.curl("/metrics")
        #expect(metrics.exitStatus == 0, "\(metrics.standardErrorText)")
        #expect(metrics.standardOutputText.hasPrefix("HTTP/1.1 200"))
        #expect(metrics.standardOutputText.contains("Content-Type: text/plain; version=0.0.4"))
        #expect(metrics.standardOutputText.contains("\nog_host_up 1\n"))
        #expect(metrics.standardOutputText.contains(#"og_host_certificate_expiry_days{certificate="www"} 10.00"#),
                "\(metrics.standardOutputText)")
        #expect(metrics.standardOutputText.contains("\nog_host_events_undelivered 0\n"))
        #expect(metrics.standardOutputText.contains("\nog_host_deploys_owed 0\n"))
        #expect(metrics.standardOutputText.contains("\nog_host_queue_depth 0\n"))
        #expect(metrics.standardOutputText.contains("# TYPE og_host_job_duration_seconds histogram"))
        let health = try serve.curl("/healthz")
        #expect(health.standardOutputText.hasPrefix("HTTP/1.1 200") && health.standardOutputText.hasSuffix("\r\n\r\nok\n"))
        #expect(try serve.curl("/nothing").standardOutputText.hasPrefix("HTTP/1.1 404"))
        #expect(try serve.curl("/metrics", ["-X", "POST", "-d", "x"]).standardOutputText.hasPrefix("HTTP/1.1 405"))

        // One daemon per data directory.
        let second = try serve.ogHost(["serve"])
        #expect(second.exitStatus == 4)
        #expect(second.standardErrorText.contains("another og-host serve (PID \(serve.daemon.processID)) already runs"),
                "\(second.standardErrorText)")

        let status = try serve.ogHost(["status", "--output", "json"])
        #expect(status.exitStatus == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(status.standardOutput)) as? [String: Any])
        #expect(report["running"] as? Bool == true)
        #expect((report["pid"] as? NSNumber)?.int32Value == serve.daemon.processID)
        #expect(((report["daemon"] as? [String: Any])?["listen"] as? String) == "127.0.0.1:\(serve.port)")

        serve.signal(SIGTERM)
        #expect(serve.notify.wait(for: "STOPPING=1", timeout: 20) != nil)
        #expect(serve.waitForExit(timeout: 30) == 0, "\(serve.log)")
        #expect(serve.log.contains("og-host serve stopped"))
        let after = try serve.ogHost(["status"])
        #expect(after.standardOutputText.contains("og-host serve: not running"), "\(after.standardOutputText)")
    }

    @Test func hooksReceiveEventsAndSIGHUPKeepsTheOldConfigurationWhenTheNewOneIsInvalid() throws {
        let directory = try TemporaryDirectory("og-serve-hooks")
        let first = try hook(directory, name: "first")
        let second = try hook(directory, name: "second")
        let serve = try ServeProcess(config: #"{"hooks": {"*": ["\#(first)"]}}"#)
        defer { serve.daemon.stop() }
        #expect(serve.notify.wait(for: "READY=1", timeout: 20) != nil)
        let inventory = try serve.inventory()
        try inventory.recordEvent(GatewayEvent(kind: .renewed, subject: "www", payloadJSON: #"{"version":2}"#))
        #expect(eventually { ((try? String(contentsOfFile: directory.file("first.out"), encoding: .utf8)) ?? "").contains(#""kind":"renewed""#) },
                "the hook never got the event: \(serve.log)")

        // An invalid file: refused with the field named, the previous hook stays.
        try #"{"hooks": {"*": ["relative.sh"]}}"#.write(toFile: serve.configPath, atomically: true, encoding: .utf8)
        serve.signal(SIGHUP)
        #expect(serve.notify.wait(for: "configuration error", timeout: 20)?.contains("hooks.*[0]") == true)
        #expect(eventually { serve.log.contains("configuration not re-read, the previous one stays in force") })
        #expect(serve.log.contains("field `hooks.*[0]`"))
        try inventory.recordEvent(GatewayEvent(kind: .deployed, subject: "www", endpoint: "web1"))
        #expect(eventually { ((try? String(contentsOfFile: directory.file("first.out"), encoding: .utf8)) ?? "").contains(#""kind":"deployed""#) })
        let status = try serve.ogHost(["status"])
        #expect(status.standardOutputText.contains("configuration error (previous configuration in force)"))

        // A valid file takes over.
        try #"{"hooks": {"*": ["\#(second)"]}}"#.write(toFile: serve.configPath, atomically: true, encoding: .utf8)
        serve.signal(SIGHUP)
        #expect(eventually { serve.log.contains("configuration re-read from") })
        try inventory.recordEvent(GatewayEvent(kind: .expiring, subject: "api"))
        #expect(eventually { ((try? String(contentsOfFile: directory.file("second.out"), encoding: .utf8)) ?? "").contains(#""kind":"expiring""#) })
        #expect(!(((try? String(contentsOfFile: directory.file("first.out"), encoding: .utf8)) ?? "").contains("expiring")))
        // The hook's output can be complete before the daemon marks the event delivered: wait for that too.
        #expect(eventually { (try? inventory.undeliveredEventCount()) == 0 })
        serve.signal(SIGTERM)
        #expect(serve.waitForExit(timeout: 30) == 0)
    }

    @Test func anEventRecordedWhileNoDaemonRunsIsDeliveredByTheNextOne() throws {
        let directory = try TemporaryDirectory("og-serve-outbox")
        let data = directory.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let inventory = try SQLiteInventory(path: data + "/inventory.sqlite")
        try inventory.recordEvent(GatewayEvent(kind: .deployFailed, subject: "www", endpoint: "web2",
                                               payloadJSON: #"{"message":"rolled back"}"#))
        let status = try BuiltProducts.runOGHost(["status"], environment: ["OG_DATA_DIR": data])
        #expect(status.standardOutputText.contains("og-host serve: not running"))
        #expect(status.standardOutputText.contains("undelivered events: 1"))
        #expect(status.standardOutputText.contains("deploy-failed"))
        let hookPath = try hook(directory, name: "late")
        let port = Loopback.freePort()
        let config = directory.file("serve.json")
        try #"{"hooks": {"deploy-failed": ["\#(hookPath)"]}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try SpawnedDaemon("/usr/bin/env", ["OG_DATA_DIR=\(data)", BuiltProducts.ogHost, "serve", "--listen",
                                                        "127.0.0.1:\(port)", "--config", config],
                                       port: port, logPath: directory.file("serve.log"))
        defer { daemon.stop() }
        #expect(eventually { ((try? String(contentsOfFile: directory.file("late.out"), encoding: .utf8)) ?? "").contains("rolled back") })
        #expect(eventually { (try? inventory.undeliveredEventCount()) == 0 })
    }

    @Test func badOptionsAreRefusedBeforeAnythingStarts() throws {
        let directory = try TemporaryDirectory("og-serve-bad")
        let environment = ["OG_DATA_DIR": directory.file("data")]
        let open = try BuiltProducts.runOGHost(["serve", "--listen", "0.0.0.0:9464"], environment: environment)
        #expect(open.exitStatus == 2)
        #expect(open.standardErrorText.contains("--listen: '0.0.0.0' is not a loopback address"), "\(open.standardErrorText)")
        try #"{"hooks": {"renewd": ["/bin/true"]}}"#.write(toFile: directory.file("bad.json"), atomically: true, encoding: .utf8)
        let config = try BuiltProducts.runOGHost(["serve", "--config", directory.file("bad.json")], environment: environment)
        #expect(config.exitStatus == 2)
        #expect(config.standardErrorText.contains("--config: \(directory.file("bad.json")): field `hooks.renewd` is not an event kind"),
                "\(config.standardErrorText)")
        let workers = try BuiltProducts.runOGHost(["serve", "--workers", "0"], environment: environment)
        #expect(workers.exitStatus == 2 && workers.standardErrorText.contains("--workers: 0 is not between 1 and 256"))
        #expect(!FileManager.default.fileExists(atPath: directory.file("data/serve.lock")), "nothing started")
    }
}

@Suite(.serialized) struct ServeStopTests {
    /// A hook that records its start, sleeps, then records the event.
    func slowHook(_ directory: TemporaryDirectory, seconds: Int) throws -> String {
        let path = directory.file("slow.sh")
        try """
        #!/bin/sh
        echo started >> \(directory.file("slow.started"))
        sleep \(seconds)
        cat >> \(directory.file("slow.out"))
        """.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    @Test func sigtermLetsTheRunningDeliveryFinishBeforeTheDaemonExits() throws {
        let directory = try TemporaryDirectory("og-serve-stop")
        let hook = try slowHook(directory, seconds: 2)
        let serve = try ServeProcess(config: #"{"hooks": {"*": ["\#(hook)"]}, "stopTimeoutSeconds": 30}"#)
        defer { serve.daemon.stop() }
        #expect(serve.notify.wait(for: "READY=1", timeout: 20) != nil)
        try serve.inventory().recordEvent(GatewayEvent(kind: .renewed, subject: "www"))
        #expect(eventually { text(directory.file("slow.started")).contains("started") })
        serve.signal(SIGTERM)
        #expect(serve.notify.wait(for: "STOPPING=1", timeout: 10) != nil)
        #expect(serve.waitForExit(timeout: 30) == 0, "\(serve.log)")
        #expect(text(directory.file("slow.out")).contains(#""kind":"renewed""#), "the hook in flight finished")
        #expect(try serve.inventory().undeliveredEventCount() == 0, "and its event is recorded as delivered")
    }

    @Test func aDaemonKilledMidDeliveryLeavesTheEventForTheNextOneWhichDeliversIt() throws {
        let directory = try TemporaryDirectory("og-serve-kill")
        let hook = try slowHook(directory, seconds: 3)
        let serve = try ServeProcess(config: #"{"hooks": {"*": ["\#(hook)"]}}"#)
        defer { serve.daemon.stop() }
        #expect(serve.notify.wait(for: "READY=1", timeout: 20) != nil)
        try serve.inventory().recordEvent(GatewayEvent(kind: .deployFailed, subject: "www", endpoint: "web1"))
        #expect(eventually { text(directory.file("slow.started")).contains("started") })
        serve.signal(SIGKILL)
        #expect(serve.waitForExit(timeout: 10) == -SIGKILL)
        #expect(try serve.inventory().undeliveredEventCount() == 1, "the outbox still holds it")
        #expect(try serve.ogHost(["status"]).standardOutputText.contains("og-host serve: not running"))

        // The next daemon on the same data directory takes the lock and delivers it (at least once).
        let port = Loopback.freePort()
        let again = try SpawnedDaemon("/usr/bin/env", ["OG_DATA_DIR=\(serve.dataDirectory)", BuiltProducts.ogHost, "serve",
                                                       "--listen", "127.0.0.1:\(port)", "--config", serve.configPath],
                                      port: port, logPath: directory.file("again.log"))
        defer { again.stop() }
        #expect(eventually(30) { (try? serve.inventory().undeliveredEventCount()) == 0 },
                "\(text(directory.file("again.log")))")
        #expect(text(directory.file("slow.out")).contains(#""kind":"deploy-failed""#))
    }
}
