import Foundation
import OGBasics
import OGInventory
import OGMaterial

/// What the served-certificate watch saw at one binding.
public struct ServedCertificateFinding: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// The node serves the version installed there and it is outside its renewal window.
        case ok
        /// The node serves a certificate inside its renewal window (or expired):
        /// renew, or deploy the newer version that exists.
        case expiring
        /// The node serves something other than the version og-host installed there.
        case mismatch
        /// No TLS handshake was possible at the address the install verified.
        case unreachable
        /// Bound, but og-host never installed this certificate there: deploy it.
        case notDeployed
        /// Installed, but the install verified no TLS address (keystores, files), so nothing can be probed.
        case notProbed
    }

    public var kind: Kind
    public var lineage: String
    public var endpointID: String
    public var endpointName: String
    /// The binding's node; "" = the plugin's choice.
    public var node: String
    /// host:port probed, and the SNI name sent.
    public var address: String?
    public var serverName: String?
    /// What the node serves (nil when nothing was read).
    public var servedFingerprint: String?
    public var servedNotAfter: Date?
    /// The version og-host installed there last, and its fingerprint.
    public var deployedVersion: Int?
    public var deployedFingerprint: String?
    /// The lineage's current version, which `cert deploy` would install.
    public var currentVersion: Int?
    public var currentCertificateID: String?
    /// When the served certificate enters its renewal window (by the policy the watch was given).
    public var windowStart: Date?
    /// One line for the operator.
    public var message: String

    /// True when the node serves the version that is the lineage's current one.
    public var servesCurrentVersion: Bool { currentVersion != nil && deployedVersion == currentVersion }
}

/// Probes what every bound node really serves: the served certificate, not
/// the issued one, is what clients see. For each binding it takes the
/// address the last install of the lineage on that node verified
/// (`certificateInstallation.servedAddress` and SNI), handshakes through the
/// one TLS probe, and compares the served leaf with the version installed
/// there and with the renewal window. It changes nothing; a daemon turns the
/// findings into events (`expiring`, `served-mismatch`).
public struct ServedCertificateWatch: Sendable {
    public let gateway: Gateway
    /// When a certificate enters its renewal window: the renewal policy's
    /// answer for that record (owned by the renewal scheduler).
    public let window: @Sendable (ManagedCertificateRecord) -> Date
    /// Per handshake.
    public var timeout: Duration
    /// How many nodes are probed at once.
    public var parallel: Int

    public init(gateway: Gateway, window: @escaping @Sendable (ManagedCertificateRecord) -> Date,
                timeout: Duration = .seconds(5), parallel: Int = 8) {
        self.gateway = gateway
        self.window = window
        self.timeout = timeout
        self.parallel = max(1, parallel)
    }

    /// The renewal policy's window: when each version falls due by its lineage's `renew-before-days`, else the
    /// gateway default, else the lifetime rule (a third left, half for 10 days or less) — without jitter, so the
    /// same certificate always gets the same answer. What `og-host serve` and `cert watch` use.
    public static func policyWindow(gateway: Gateway) throws -> @Sendable (ManagedCertificateRecord) -> Date {
        policyWindow(inventory: try GatewayError.inventoryCall { try gateway.inventory() })
    }

    public static func policyWindow(inventory: any InventoryStore) -> @Sendable (ManagedCertificateRecord) -> Date {
        let defaultDays = (try? inventory.renewalDefaults())?.renewBeforeDays
        return { record in
            let lineage = record.lineage ?? record.name ?? ""
            let days = (try? inventory.renewalSchedule(lineage: lineage))?.renewBeforeDays ?? defaultDays
            guard let notAfter = record.notAfter else { return .distantFuture }
            var fixed = FixedRandom()
            return RenewalPolicy(renewBeforeDays: days)
                .decide(notBefore: record.notBefore ?? notAfter.addingTimeInterval(-90 * 86_400), notAfter: notAfter,
                        using: &fixed).dueAt
        }
    }

    /// How a run of the watch ends for a script: nil when every binding is ok (or cannot be probed: keystores,
    /// files), `attention` when one is expiring, mismatched, unreachable or never deployed.
    public static func category(of findings: [ServedCertificateFinding]) -> GatewayError.Category? {
        findings.contains { [.expiring, .mismatch, .unreachable, .notDeployed].contains($0.kind) } ? .attention : nil
    }

    /// A window that opens a fixed number of days before notAfter (`cert watch --within DAYS`).
    public static func daysBeforeExpiry(_ days: Int) -> @Sendable (ManagedCertificateRecord) -> Date {
        { record in (record.notAfter ?? .distantFuture).addingTimeInterval(-TimeInterval(days) * 86400) }
    }

    /// Probes every binding (or those of `lineage`) and returns one finding
    /// per binding, by lineage, endpoint and node.
    public func run(lineage: String? = nil, now: Date = Date()) throws -> [ServedCertificateFinding] {
        let inventory = try gateway.inventory()
        let plans = try GatewayError.inventoryCall { () throws -> [Probe] in
            let bindings = try lineage.map { try inventory.bindings(ofLineage: $0) } ?? inventory.allBindings()
            var installationsByLineage: [String: [(installation: CertificateInstallation, endpointName: String?, version: Int?)]] = [:]
            var recordsByLineage: [String: [ManagedCertificateRecord]] = [:]
            return try bindings.map { binding in
                if installationsByLineage[binding.lineage] == nil {
                    installationsByLineage[binding.lineage] = try inventory.installations(ofLineage: binding.lineage)
                    recordsByLineage[binding.lineage] = try inventory.certificateVersions(lineage: binding.lineage)
                }
                let versions = recordsByLineage[binding.lineage] ?? []
                let there = (installationsByLineage[binding.lineage] ?? []).filter {
                    $0.installation.endpointID == binding.endpointID
                        && (binding.node.isEmpty || $0.installation.node == binding.node)
                }
                let latest = there.max { $0.installation.installedAt < $1.installation.installedAt }
                let endpointName = (try? inventory.endpoint(matching: binding.endpointID))?.name ?? binding.endpointID
                return Probe(binding: binding, endpointName: endpointName,
                             installation: latest?.installation,
                             deployed: latest.flatMap { installed in versions.first { $0.version == installed.version } },
                             current: versions.first { $0.name != nil })
            }
        }
        // Handshakes wait on the network, so a few run at once; each finding keeps its binding's place.
        let findings = Findings(count: plans.count)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = parallel
        for (index, plan) in plans.enumerated() {
            queue.addOperation {
                findings.set(index, self.examine(plan, inventory: inventory, now: now))
            }
        }
        queue.waitUntilAllOperationsAreFinished()
        return findings.all
    }

    private final class Findings: @unchecked Sendable {
        private let lock = Locked()
        private var slots: [ServedCertificateFinding?]
        init(count: Int) { slots = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ finding: ServedCertificateFinding) { lock.withLock { slots[index] = finding } }
        var all: [ServedCertificateFinding] { lock.withLock { slots.compactMap { $0 } } }
    }

    struct Probe: Sendable {
        var binding: CertificateBinding
        var endpointName: String
        var installation: CertificateInstallation?
        var deployed: ManagedCertificateRecord?
        var current: ManagedCertificateRecord?
    }

    private func examine(_ probe: Probe, inventory: any InventoryStore, now: Date) -> ServedCertificateFinding {
        var finding = ServedCertificateFinding(
            kind: .ok, lineage: probe.binding.lineage, endpointID: probe.binding.endpointID,
            endpointName: probe.endpointName, node: probe.binding.node, address: probe.installation?.servedAddress,
            serverName: probe.installation?.servedName, deployedVersion: probe.deployed?.version,
            deployedFingerprint: probe.deployed?.fingerprint, currentVersion: probe.current?.version,
            currentCertificateID: probe.current?.id, message: "")
        let place = "'\(probe.binding.lineage)' on \(probe.endpointName)"
            + (probe.binding.node.isEmpty ? "" : " node \(probe.binding.node)")
        guard let installation = probe.installation, let deployed = probe.deployed else {
            finding.kind = .notDeployed
            finding.message = "\(place): bound but never installed by og-host; run og-host cert deploy \(probe.binding.lineage)"
            return finding
        }
        guard let address = installation.servedAddress, let (host, port) = Self.split(address) else {
            finding.kind = .notProbed
            finding.message = "\(place): the install verified no TLS address (a keystore or file endpoint), so the "
                + "served certificate cannot be probed"
            return finding
        }
        let served: Certificate
        do {
            guard let leaf = try TLSProbe.servedCertificate(host: host, port: port, serverName: installation.servedName,
                                                            timeout: timeout).first else {
                throw MaterialError.probeFailed(endpoint: address, reason: "the server presented no certificate")
            }
            served = leaf
        } catch {
            finding.kind = .unreachable
            finding.message = "\(place): \(address)\(installation.servedName.map { " (SNI \($0))" } ?? ""): \(error)"
            return finding
        }
        finding.servedFingerprint = served.sha256Fingerprint
        finding.servedNotAfter = served.notAfter
        if served.sha256Fingerprint != deployed.fingerprint {
            let known = try? inventory.managedCertificate(fingerprint: served.sha256Fingerprint)
            finding.kind = .mismatch
            finding.message = "\(place): \(address) serves \(served.subject) (SHA-256 \(served.sha256Fingerprint.prefix(16))…"
                + (known.map { ", " + ($0.lineage.map { "version \(known?.version ?? 0) of '\($0)'" } ?? "managed as \($0.id)") }
                    ?? ", not managed by og-host")
                + "), not version \(deployed.version ?? 0) that og-host installed (\(deployed.fingerprint?.prefix(16) ?? "-")…)"
            if let known { finding.windowStart = window(known) }
            return finding
        }
        let windowStart = window(deployed)
        finding.windowStart = windowStart
        let days = Int((served.notAfter.timeIntervalSince(now) / 86400).rounded(.down))
        if now >= windowStart {
            finding.kind = .expiring
            let newer = (probe.current?.version ?? 0) > (deployed.version ?? 0) && probe.current?.status == .issued
            finding.message = "\(place): serves version \(deployed.version ?? 0), "
                + (days < 0 ? "expired \(-days) day(s) ago" : "expires in \(days) day(s)") + ", inside its renewal window; "
                + (newer ? "version \(probe.current?.version ?? 0) exists: run og-host cert deploy \(probe.binding.lineage)"
                    : "renew it")
        } else {
            finding.message = "\(place): serves version \(deployed.version ?? 0) as installed, \(days) day(s) left"
        }
        return finding
    }

    /// "host:port" or "[v6]:port".
    static func split(_ address: String) -> (String, UInt16)? {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            return nil
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}
