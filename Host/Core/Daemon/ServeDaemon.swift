import Dispatch
import Foundation
import Logging
import OGBasics
import OGInventory

/// One kind of scheduled work the daemon does: deliver events, run the
/// renewal pass, probe served certificates, recover abandoned installs.
/// A duty never runs twice at once; the scheduler asks `due` after every run
/// and on every tick, so a duty whose work appears (a new event, a renewal
/// coming due) is picked up without a restart.
public struct ServeDuty: Sendable {
    public var name: String
    /// When the duty should next run, given when it last ran (nil = never). nil = nothing to do.
    public var due: @Sendable (_ context: ServeContext, _ lastRun: Date?) throws -> Date?
    /// Does the work; returns one line for logs and `og-host status`. Should return
    /// soon after `context.isStopping` turns true.
    public var run: @Sendable (_ context: ServeContext) throws -> String
    /// Called when the daemon stops while this duty still runs after the stop
    /// timeout: give back what it holds (renewal claims), so another run can take over.
    public var handBack: @Sendable (_ context: ServeContext) -> Void = { _ in }

    public init(name: String, due: @escaping @Sendable (ServeContext, Date?) throws -> Date?,
                run: @escaping @Sendable (ServeContext) throws -> String,
                handBack: @escaping @Sendable (ServeContext) -> Void = { _ in }) {
        self.name = name
        self.due = due
        self.run = run
        self.handBack = handBack
    }
}

/// What a duty sees: the gateway (inventory opened), the current configuration, metrics.
public final class ServeContext: @unchecked Sendable {
    public let gateway: Gateway
    public let inventory: any InventoryStore
    public let metrics: ServeMetrics
    public let logger: Logger
    public let workers: Int
    private let lock = Locked()
    private var currentConfiguration: ServeConfiguration
    private var stopping = false

    init(gateway: Gateway, inventory: any InventoryStore, configuration: ServeConfiguration, metrics: ServeMetrics,
         logger: Logger, workers: Int) {
        self.gateway = gateway
        self.inventory = inventory
        currentConfiguration = configuration
        self.metrics = metrics
        self.logger = logger
        self.workers = workers
    }

    public var configuration: ServeConfiguration {
        get { lock.withLock { currentConfiguration } }
        set { lock.withLock { currentConfiguration = newValue } }
    }

    /// True once SIGTERM arrived: finish the item in hand, start no new one.
    public var isStopping: Bool { lock.withLock { stopping } }
    func beginStopping() { lock.withLock { stopping = true } }
}

/// `og-host serve`: the scheduler loop. It holds `<data>/serve.lock`, runs due
/// duties on a bounded set of worker threads, serves metrics and health when
/// asked, speaks systemd's notify protocol, reloads its configuration on
/// SIGHUP and stops gracefully on SIGTERM or SIGINT.
///
/// Plugin code never runs in this process: the duties reach endpoints only
/// through child og-host processes (the endpoint job launcher), so a plugin
/// that crashes, hangs or leaks takes down one job, never the daemon.
public final class ServeDaemon: @unchecked Sendable {
    public let gateway: Gateway
    public let options: ServeOptions
    public let notifier: SystemdNotifier
    public let metrics = ServeMetrics()
    public var duties: [ServeDuty]
    let logger: Logger
    /// How long the scheduler sleeps at most between looks at what is due.
    public var tick: Duration = .seconds(1)

    private let lock = Locked()
    private let wake = DispatchSemaphore(value: 0)
    private var stopRequested = false
    private var reloadRequested = false
    private var running: [String: Date] = [:]
    private var lastRun: [String: Date] = [:]
    private var lastOutcome: [String: (ok: Bool, message: String, at: Date, seconds: Double)] = [:]
    private var nextDue: [String: Date] = [:]
    private var configurationError: String?
    private var signalSources: [DispatchSourceSignal] = []

    public init(gateway: Gateway, options: ServeOptions, duties: [ServeDuty],
                notifier: SystemdNotifier = SystemdNotifier(), logger: Logger = Logger(label: "og-host.serve")) {
        self.gateway = gateway
        self.options = options
        self.duties = duties
        self.notifier = notifier
        self.logger = logger
    }

    /// Runs until SIGTERM/SIGINT. Returns normally after a graceful stop;
    /// throws when it cannot start (lock held, bad configuration, listen refused).
    public func run() throws {
        let configuration = try options.configPath.map { try ServeConfiguration.load(path: $0) } ?? ServeConfiguration()
        let inventory: any InventoryStore
        do {
            inventory = try gateway.inventory()
        } catch {
            throw GatewayError.classify(error)
        }
        let lock = try ServeLock.acquire(in: gateway.dataDirectory)
        defer { lock.release() }
        let context = ServeContext(gateway: gateway, inventory: inventory, configuration: configuration,
                                   metrics: metrics, logger: logger, workers: options.workers)
        var responder: LoopbackHTTPResponder?
        if let host = options.listenHost {
            let metrics = self.metrics
            responder = try LoopbackHTTPResponder(host: host, port: options.listenPort) { [weak self] path in
                switch path {
                case "/metrics":
                    return (200, "text/plain; version=0.0.4; charset=utf-8", metrics.render(inventory: inventory))
                case "/healthz":
                    guard let self else { return (503, "text/plain", "stopping\n") }
                    return self.health()
                default:
                    return (404, "text/plain", "not found; try /metrics or /healthz\n")
                }
            }
        }
        defer { responder?.stop() }
        installSignalHandlers()
        defer { signalSources.forEach { $0.cancel() } }
        logger.info("og-host serve started", metadata: [
            "pid": "\(getpid())", "dataDir": "\(gateway.dataDirectory.path)", "workers": "\(options.workers)",
            "listen": "\(responder.map { "\($0.host):\($0.port)" } ?? "off")",
            "config": "\(options.configPath ?? "none")",
        ])
        writeState(context)
        notifier.notify("READY=1\nSTATUS=" + statusLine())
        var lastWatchdog = ContinuousClock.now
        var lastStateWrite = ContinuousClock.now

        while true {
            let (stop, reload) = self.lock.withLock { () -> (Bool, Bool) in
                defer { reloadRequested = false }
                return (stopRequested, reloadRequested)
            }
            if stop { break }
            if reload { self.reload(context) }
            schedule(context)
            if let interval = notifier.watchdogInterval, ContinuousClock.now - lastWatchdog >= interval {
                notifier.notify("WATCHDOG=1")
                lastWatchdog = ContinuousClock.now
            }
            if ContinuousClock.now - lastStateWrite >= .seconds(2) {
                writeState(context)
                lastStateWrite = ContinuousClock.now
            }
            var sleep = tick
            if let interval = notifier.watchdogInterval { sleep = min(sleep, interval) }
            _ = wake.wait(timeout: .now() + .milliseconds(Int(sleep.components.seconds * 1000
                                                              + sleep.components.attoseconds / 1_000_000_000_000_000)))
        }
        stopGracefully(context)
    }

    /// Asks the loop to stop, as SIGTERM does (for embedding and tests).
    public func requestStop() {
        lock.withLock { stopRequested = true }
        wake.signal()
    }

    // MARK: - Scheduling

    private func schedule(_ context: ServeContext) {
        var waiting: [ServeDuty] = []
        for duty in duties {
            let (isRunning, last) = lock.withLock { (running[duty.name] != nil, lastRun[duty.name]) }
            if isRunning { continue }
            let due: Date?
            do {
                due = try duty.due(context, last)
            } catch {
                logger.error("cannot tell when \(duty.name) is due: \(GatewayError.classify(error).message)")
                continue
            }
            lock.withLock { nextDue[duty.name] = due }
            // Compared with the time after the query: a duty due "now" is due.
            if let due, due <= Date() { waiting.append(duty) }
        }
        var started = 0
        for duty in waiting {
            let free = lock.withLock { options.workers - running.count }
            guard free > 0 else { break }
            start(duty, context)
            started += 1
        }
        let active = lock.withLock { running.count }
        metrics.setQueue(waiting: waiting.count - started, running: active)
    }

    private func start(_ duty: ServeDuty, _ context: ServeContext) {
        let began = Date()
        lock.withLock { running[duty.name] = began }
        Thread.detachNewThread { [self] in
            let clock = ContinuousClock.now
            var ok = true
            var message: String
            do {
                message = try duty.run(context)
            } catch {
                ok = false
                message = GatewayError.classify(error).message
            }
            let seconds = Double((ContinuousClock.now - clock).components.attoseconds) / 1e18
                + Double((ContinuousClock.now - clock).components.seconds)
            metrics.recordJob(kind: duty.name, outcome: ok ? "success" : "failure", seconds: seconds)
            metrics.markPass(duty.name, at: Date())
            if ok {
                if !message.isEmpty { logger.info("\(duty.name): \(message)") }
            } else {
                logger.error("\(duty.name) failed: \(message)")
            }
            lock.withLock {
                running[duty.name] = nil
                lastRun[duty.name] = began
                lastOutcome[duty.name] = (ok, message, Date(), seconds)
            }
            wake.signal()
        }
    }

    private func reload(_ context: ServeContext) {
        guard let path = options.configPath else {
            logger.notice("SIGHUP: no field `config` file to re-read")
            return
        }
        do {
            context.configuration = try ServeConfiguration.load(path: path)
            lock.withLock { configurationError = nil }
            logger.notice("configuration re-read from \(path)")
            notifier.status(statusLine())
        } catch {
            let message = GatewayError.classify(error).message
            lock.withLock { configurationError = message }
            logger.error("configuration not re-read, the previous one stays in force: \(message)")
            notifier.status("configuration error (previous configuration in force): \(message)")
        }
        writeState(context)
    }

    private func stopGracefully(_ context: ServeContext) {
        context.beginStopping()
        notifier.notify("STOPPING=1\nSTATUS=stopping: waiting for running work")
        let timeout = context.configuration.stopTimeout
        logger.notice("stopping: waiting up to \(Int(timeout)) s for running work")
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if lock.withLock({ running.isEmpty }) { break }
            _ = wake.wait(timeout: .now() + .milliseconds(200))
        }
        let unfinished = lock.withLock { Array(running.keys) }.sorted()
        for name in unfinished {
            logger.warning("\(name) still runs after \(Int(timeout)) s; handing back what it holds")
            duties.first { $0.name == name }?.handBack(context)
        }
        writeState(context, stopping: true)
        logger.notice("og-host serve stopped")
    }

    private func installSignalHandlers() {
        for (number, action) in [(SIGTERM, "stop"), (SIGINT, "stop"), (SIGHUP, "reload")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.withLock {
                    if action == "stop" { self.stopRequested = true } else { self.reloadRequested = true }
                }
                self.wake.signal()
            }
            source.resume()
            signalSources.append(source)
        }
    }

    // MARK: - Health and state

    private func health() -> (Int, String, String) {
        let (stopping, error) = lock.withLock { (stopRequested, configurationError) }
        if stopping { return (503, "text/plain", "stopping\n") }
        return (200, "text/plain", error == nil ? "ok\n" : "ok (configuration error, previous configuration in force)\n")
    }

    private func statusLine() -> String {
        let (active, error) = lock.withLock { (running.keys.sorted(), configurationError) }
        var line = active.isEmpty ? "idle" : "running: " + active.joined(separator: ", ")
        if let error { line += "; configuration error: \(error)" }
        return line
    }

    private func writeState(_ context: ServeContext, stopping: Bool = false) {
        let now = Date()
        let state: ServeState = lock.withLock {
            ServeState(pid: getpid(), startedAt: metrics.startedAt, updatedAt: now, stopping: stopping,
                       workers: options.workers,
                       listen: options.listenHost.map { "\($0.contains(":") ? "[\($0)]" : $0):\(options.listenPort)" },
                       configPath: options.configPath, configurationError: configurationError,
                       duties: duties.map { duty in
                           let outcome = lastOutcome[duty.name]
                           return ServeState.Duty(name: duty.name, running: running[duty.name] != nil,
                                                  lastRunAt: lastRun[duty.name], lastSucceeded: outcome?.ok,
                                                  lastMessage: outcome?.message, lastSeconds: outcome?.seconds,
                                                  nextDueAt: nextDue[duty.name])
                       })
        }
        do {
            try LocalFiles.writeAtomically(ServeState.path(in: gateway.dataDirectory), contents: try state.encoded(),
                                           mode: 0o600)
        } catch {
            logger.warning("cannot write the daemon state for og-host status: \(error)")
        }
    }
}

/// What the running daemon tells `og-host status`: `<data>/serve.state.json`,
/// rewritten every few seconds. Believed only while the daemon holds its lock.
public struct ServeState: Codable, Sendable {
    public struct Duty: Codable, Sendable {
        public var name: String
        public var running: Bool
        public var lastRunAt: Date?
        public var lastSucceeded: Bool?
        public var lastMessage: String?
        public var lastSeconds: Double?
        public var nextDueAt: Date?
    }

    public var pid: Int32
    public var startedAt: Date
    public var updatedAt: Date
    public var stopping: Bool
    public var workers: Int
    public var listen: String?
    public var configPath: String?
    public var configurationError: String?
    public var duties: [Duty]

    public static func path(in dataDirectory: DataDirectory) -> String { "\(dataDirectory.path)/serve.state.json" }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Array(try encoder.encode(self))
    }

    static func read(in dataDirectory: DataDirectory) -> ServeState? {
        guard let bytes = try? LocalFiles.read(path(in: dataDirectory), limit: .manifest) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(ServeState.self, from: Data(bytes))
    }
}
