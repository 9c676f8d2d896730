import Foundation
import OGBasics
import OGCredentials
import OGInventory
import OGPlugins

/// Everything one og-host invocation works with: where state lives, which
/// plugins exist, the inventory. Opened lazily so `plugins list` never touches
/// the database and `tls list` never loads a plugin.
///
/// Safe to share between concurrent jobs (a daemon's workers): every stored
/// property is immutable and Sendable, and the lazily opened registry and
/// inventory are created once under a lock.
public final class Gateway: Sendable {
    public let dataDirectory: DataDirectory
    public let searchPath: PluginSearchPath
    /// How long a job holds its endpoint between heartbeats.
    public let leaseSettings: JobLeaseSettings
    /// The local credential stores (`<data>/credentials`, master key from
    /// `OG_MASTER_KEY_FILE` of the same environment), and who this process
    /// acts as in the audit trail: read from the environment once, since
    /// building `ProcessInfo`'s environment dictionary costs ~0.4 M
    /// instructions and a job asked it three times.
    let credentialDirectory: LocalCredentialDirectory
    let auditActor: String
    private let describer: PluginRegistry.Describer
    private struct Opened {
        var registry: PluginRegistry?
        var inventory: (any InventoryStore)?
    }
    private let opened = Locked(Opened())

    public init(dataDirectory: String?, pluginDirectories: [String], describer: @escaping PluginRegistry.Describer,
                environment: Environment = .process) throws {
        do {
            self.dataDirectory = try DataDirectory.resolve(option: dataDirectory, environment: environment)
        } catch {
            throw GatewayError("\(error)", category: .badInput)
        }
        searchPath = PluginSearchPath.resolve(explicit: pluginDirectories, environment: environment)
        leaseSettings = try JobLeaseSettings.from(environment: environment)
        credentialDirectory = LocalCredentialDirectory(path: self.dataDirectory.credentialsPath, environment: environment)
        auditActor = AuditRecord.currentActor(environment: environment)
        self.describer = describer
    }

    public var registry: PluginRegistry {
        opened.withLock { opened in
            if let registry = opened.registry { return registry }
            let registry = PluginRegistry(searchPath: searchPath, describe: describer)
            opened.registry = registry
            return registry
        }
    }

    /// The inventory, opened on first use (a second caller waits for the first to open it).
    /// This is where the implementation is chosen: the data directory's SQLite file today.
    public func inventory() throws -> any InventoryStore {
        try opened.withLock { opened in
            if let inventory = opened.inventory { return inventory }
            do {
                try dataDirectory.prepare()
                let inventory = try SQLiteInventory(dataDirectory: dataDirectory)
                opened.inventory = inventory
                return inventory
            } catch {
                throw GatewayError("data directory \(dataDirectory.path): \(error)")
            }
        }
    }

    /// The one available plugin serving `type`: not found when none does, an
    /// installation problem (internal) when several do.
    public func entry(forType type: String) throws -> PluginRegistry.Entry {
        do {
            return try registry.entry(forType: type)
        } catch {
            switch error {
            case .unknownType: throw GatewayError(error.description, category: .notFound)
            case .conflict: throw GatewayError(error.description, category: .internal)
            }
        }
    }

    /// Loads the plugin that serves `type`, with errors an operator can act on.
    public func plugin(forType type: String) throws -> (PluginRegistry.Entry, PluginLibrary) {
        let entry = try entry(forType: type)
        do {
            return (entry, try registry.load(entry))
        } catch {
            throw GatewayError("plugin '\(entry.name)' for type '\(type)' cannot be used: \(error.description)")
        }
    }

    /// The audit trail, newest first: at most `limit` records, about `subject` and of `action` when given.
    public func auditRecords(subject: String? = nil, action: String? = nil, since: String? = nil, until: String? = nil,
                             outcome: String? = nil, limit: Int = 100) throws -> [AuditRecord] {
        guard limit >= 1, limit <= 100_000 else { throw GatewayError.option("limit", "\(limit) is not between 1 and 100000") }
        let from = try since.map { try Self.auditTime($0, option: "since") }
        let to = try until.map { try Self.auditTime($0, option: "until") }
        if let from, let to, from >= to {
            throw GatewayError.option("until", "\(until!) is not after field `since` \(since!); give a later time")
        }
        let wanted = try outcome.map { text -> AuditRecord.Outcome in
            guard let value = AuditRecord.Outcome(rawValue: text) else {
                throw GatewayError.option("outcome", "'\(text)' is not an outcome; give success or failure")
            }
            return value
        }
        do {
            return try inventory().auditRecords(AuditFilter(subject: subject, action: action, since: from, until: to,
                                                            outcome: wanted, limit: limit))
        } catch {
            throw GatewayError.classify(error)
        }
    }

    /// A time for --since/--until: ISO 8601 with a zone (2026-12-06T05:00:00Z), or a date (2026-12-06, midnight UTC).
    static func auditTime(_ text: String, option: String) throws -> Date {
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let date = day.date(from: text) { return date }
        throw GatewayError.option(option, "'\(text)' is not a time; give ISO 8601 like 2026-12-06T05:00:00Z or a date like 2026-12-06")
    }

    /// Records what happened; a failure to write the audit record is reported but does not mask the outcome.
    public func audit(action: String, subject: String, success: Bool, detail: String) {
        do {
            try inventory().appendAudit(AuditRecord(actor: auditActor, action: action, subject: subject,
                                                    outcome: success ? .success : .failure, detail: detail))
        } catch {
            StandardStreams.error("warning: could not write the audit record: \(error)\n")
        }
    }
}
