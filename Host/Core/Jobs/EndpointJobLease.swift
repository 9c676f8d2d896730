import Foundation
import OGInventory
import OGBasics

/// How long a job's hold on its endpoint lasts without a heartbeat, and how
/// often the heartbeat renews it. A job killed with `kill -9` keeps its
/// endpoint for at most `leaseDuration`; then the next job recovers it.
public struct JobLeaseSettings: Sendable {
    public var leaseDuration: TimeInterval
    public var heartbeatInterval: TimeInterval { max(leaseDuration / 3, 0.2) }

    public static let defaultLeaseDuration: TimeInterval = 30

    public init(leaseDuration: TimeInterval = JobLeaseSettings.defaultLeaseDuration) {
        self.leaseDuration = leaseDuration
    }

    /// `OG_JOB_LEASE_SECONDS` (1–3600) overrides the default: short leases let
    /// tests and impatient operators see recovery sooner; long ones suit slow endpoints.
    public static func from(environment: Environment) throws -> JobLeaseSettings {
        guard let text = environment["OG_JOB_LEASE_SECONDS"] else { return JobLeaseSettings() }
        guard let seconds = Double(text), seconds >= 1, seconds <= 3600 else {
            throw GatewayError.badInput("OG_JOB_LEASE_SECONDS: '\(text)' is not a number of seconds between 1 and 3600")
        }
        return JobLeaseSettings(leaseDuration: seconds)
    }
}

/// One job's hold on one endpoint: acquired before the job touches the
/// endpoint, renewed by a heartbeat while it runs (`whileHeld`), released
/// when it ends. Journal writes present `current` (its fencing token); if another
/// job took the endpoint over — only possible after this one's lease ran
/// out — `requireHeld()` and every journal write refuse, and the job must
/// stop touching the endpoint.
public final class EndpointJobLease: Sendable {
    public let jobID: String
    let inventory: any InventoryStore
    let settings: JobLeaseSettings
    private let state: Locked<State>

    private struct State {
        var lease: EndpointLease
        var lost: String?
        var released = false
    }

    private init(jobID: String, inventory: any InventoryStore, settings: JobLeaseSettings, lease: EndpointLease) {
        self.jobID = jobID
        self.inventory = inventory
        self.settings = settings
        self.state = Locked(State(lease: lease))
    }

    /// The lease as last renewed: what journal writes present.
    public var current: EndpointLease { state.withLock { $0.lease } }

    /// Takes `record`'s endpoint for a `kind` job, waiting up to `wait` while
    /// another job holds it; then refuses with who holds it (conflict).
    /// `tookOver` receives the expired lease of a job that died holding it.
    /// Waiting suspends the task (no thread is held); a cancelled task stops
    /// waiting and is refused as busy.
    public static func acquire(gateway: Gateway, endpoint record: EndpointRecord, kind: String, wait: Duration,
                               jobID: String = UUID().uuidString.lowercased(),
                               tookOver: (EndpointLease) -> Void = { _ in }) async throws -> EndpointJobLease {
        let inventory = try gateway.inventory()
        let owner = JobOwner.current(gatewayID: try GatewayError.inventoryCall { try inventory.gatewayID() })
        let settings = gateway.leaseSettings
        let deadline = ContinuousClock.now + wait
        var pause: Duration = .milliseconds(20)
        while true {
            let outcome = try GatewayError.inventoryCall {
                try inventory.acquireEndpointLease(endpointID: record.id, jobID: jobID, kind: kind, owner: owner,
                                                   duration: settings.leaseDuration)
            }
            switch outcome {
            case .acquired(let lease, let previous):
                if let previous, previous.jobID != jobID { tookOver(previous) }
                return EndpointJobLease(jobID: jobID, inventory: inventory, settings: settings, lease: lease)
            case .busy(let holder):
                let now = ContinuousClock.now
                guard now < deadline, !Task.isCancelled else {
                    var error = GatewayError.classify(InventoryError.endpointBusy(endpoint: record.name, lease: holder))
                    if Task.isCancelled {
                        error.problem += "; the job was cancelled while waiting for it"
                    } else if wait > .zero {
                        error.problem += "; waited \(wait.seconds) s for it"
                    }
                    throw error
                }
                // Polled with a growing pause: a waiting job costs a few small reads per second.
                do { try await Task.sleep(for: min(pause, deadline - now)) } catch { continue }
                pause = min(pause * 2, .milliseconds(250))
            }
        }
    }

    /// Throws when the job no longer holds its endpoint.
    public func requireHeld() throws {
        if let lost = state.withLock({ $0.lost }) { throw GatewayError(lost, category: .conflict) }
    }

    /// Whether another job took the endpoint over (the job must not touch it any more).
    public var isLost: Bool { state.withLock { $0.lost != nil } }

    /// Ends the heartbeat and gives the endpoint back. Idempotent.
    public func release() {
        let lease: EndpointLease? = state.withLock { state in
            guard !state.released else { return nil }
            state.released = true
            return state.lease
        }
        guard let lease else { return }
        try? inventory.releaseEndpointLease(lease)
    }

    deinit { release() }

    /// Runs `body` while a heartbeat renews the lease every third of its
    /// duration, then releases the lease (however `body` ends). The heartbeat
    /// is a child task with an executor of its own: `body` blocks its job's
    /// executor in plugin calls and handshakes for as long as they take, and
    /// the heartbeat must beat regardless. It ends when `body` does, when the
    /// job is cancelled, or when the lease is lost or released.
    public func whileHeld<Result>(_ body: () async throws -> Result) async throws -> Result {
        defer { release() }
        let heartbeatExecutor = JobExecutor(label: "og-host lease \(jobID.prefix(8))")
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask(executorPreference: heartbeatExecutor) { [self] in await keepAlive() }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// The heartbeat: renews the lease until cancelled, lost or released.
    private func keepAlive() async {
        let interval = Duration.milliseconds(Int64(settings.heartbeatInterval * 1000))
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            guard beat() else { return }
        }
    }

    /// Renews the lease once; false when the heartbeat should stop.
    private func beat() -> Bool {
        let (lease, stop) = state.withLock { ($0.lease, $0.released || $0.lost != nil) }
        if stop { return false }
        do {
            let renewed = try inventory.renewEndpointLease(lease, duration: settings.leaseDuration)
            return state.withLock { state in
                guard !state.released else { return false }
                state.lease = renewed
                return true
            }
        } catch let error as InventoryError {
            if case .fenced = error {
                state.withLock { $0.lost = "job \(jobID): \(error)" }
                return false
            }
            return true  // a busy database: try again at the next beat, the lease has slack
        } catch {
            return true
        }
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension GatewayError {
    /// Runs an inventory call, giving its error the category of its kind.
    static func inventoryCall<Result>(_ body: () throws -> Result) throws -> Result {
        do { return try body() } catch { throw classify(error) }
    }
}
