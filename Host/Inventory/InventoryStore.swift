import Foundation

// The inventory as services see it: one protocol per concept, composed into
// `InventoryStore`. Services hold `any InventoryStore`; `SQLiteInventory` (GRDB)
// is today's implementation, and a second one (PostgreSQL) is added by
// conforming to these protocols, without touching a service.
//
// Nothing here names a storage library: no database handles, no SQL, no
// GRDB types. The record structs are shared by every implementation; what
// only a store sets (IDs, timestamps, journal ownership) is `package(set)` and
// their validation is `package`, so an implementation in a target of its own
// (keeping its driver out of binaries that do not use it) sets and checks
// them exactly as SQLiteInventory does.
//
// Rules every implementation keeps (InventoryStoreContractTests states them
// as tests, run over every implementation):
// - Each method is one transaction: it happens wholly or not at all, and a
//   concurrent reader sees the state before it or after it, never between.
// - Every write that belongs to a job presents its `EndpointLease`; a lease
//   whose fencing token is no longer the endpoint's current one is refused
//   (`InventoryError.fenced`) and writes nothing.
// - Endpoint leases expire by the store's clock, judged inside the
//   transaction that takes them: SQLite's is the clock of the one host all
//   its processes share; a server database must use its own (`now()`), never
//   the caller's. Renewal claims are judged at the `now` the caller states.
// - Schema changes are named migrations, applied once, in order; a store
//   written by a newer og-host (unknown migrations) is refused, not used.

/// Endpoints: what og-host manages and how it reaches them.
public protocol EndpointInventory: Sendable {
    /// Adds `endpoint` (name unique, credential stores it references must
    /// exist), with the SSH host-key pin it was added with, in one step.
    @discardableResult
    func addEndpoint(_ endpoint: EndpointRecord, hostKeyPin: HostKeyPin?) throws -> EndpointRecord
    /// Replaces the endpoint's settings (and its host-key pin when given).
    @discardableResult
    func updateEndpointSettings(_ endpoint: EndpointRecord, hostKeyPin: HostKeyPin?) throws -> EndpointRecord
    @discardableResult
    func updateEndpoint(_ endpoint: EndpointRecord) throws -> EndpointRecord
    func endpoint(id: String) throws -> EndpointRecord?
    func endpoint(named name: String) throws -> EndpointRecord?
    /// The endpoint whose ID or name is `reference`; `InventoryError.endpointNotFound` otherwise.
    func endpoint(matching reference: String) throws -> EndpointRecord
    /// All endpoints, by name in byte order.
    func endpoints() throws -> [EndpointRecord]
    /// Removes the endpoint (with its lease row and bindings) unless a job
    /// holds it or an install on it is unfinished.
    @discardableResult
    func removeEndpoint(_ reference: String) throws -> EndpointRecord
    /// Only the columns a listing needs, by name.
    func endpointSummaries() throws -> [EndpointSummary]
    /// Rows for `tls list --output json`, by name, read without decoding options.
    func endpointListingRows() throws -> [EndpointListingRow]
}

/// SSH host keys pinned on first use, per host and port.
public protocol HostKeyPinStore: Sendable {
    func hostKeyPin(host: String, port: Int) throws -> HostKeyPin?
    @discardableResult
    func removeHostKeyPin(host: String, port: Int) throws -> Bool
    @discardableResult
    func setHostKeyPin(_ pin: HostKeyPin) throws -> HostKeyPin
}

/// Where secrets are kept (the records of credential stores, not the secrets).
public protocol CredentialStoreRegistry: Sendable {
    func credentialStores() throws -> [CredentialStoreRecord]
    func credentialStore(named name: String) throws -> CredentialStoreRecord?
    @discardableResult
    func addCredentialStore(_ store: CredentialStoreRecord) throws -> CredentialStoreRecord
    @discardableResult
    func updateCredentialStore(_ store: CredentialStoreRecord) throws -> CredentialStoreRecord
    /// Refused while an endpoint references the store.
    func removeCredentialStore(named name: String) throws
}

/// The operator's trust anchors (added with `ca add`).
public protocol TrustAnchorStore: Sendable {
    @discardableResult
    func addTrustAnchor(_ anchor: TrustAnchorRecord) throws -> TrustAnchorRecord
    func trustAnchors() throws -> [TrustAnchorRecord]
    func trustAnchor(matching reference: String) throws -> TrustAnchorRecord?
    @discardableResult
    func removeTrustAnchor(_ reference: String) throws -> TrustAnchorRecord?
}

/// The append-only audit trail.
public protocol AuditTrail: Sendable {
    /// Appends `record`; records are never changed or removed.
    @discardableResult
    func appendAudit(_ record: AuditRecord) throws -> AuditRecord
    /// Records matching `filter`, oldest first.
    func auditRecords(_ filter: AuditFilter) throws -> [AuditRecord]
}

/// One job at a time per endpoint: leases with an expiry and a fencing token.
public protocol EndpointLeaseStore: Sendable {
    /// This data directory's gateway ID: created once with the store, never changed.
    func gatewayID() throws -> String
    /// Takes `endpointID` for job `jobID` for `duration` unless a live lease
    /// is held (`.busy`). An expired lease is taken over (`tookOverFrom`).
    /// Every acquisition gets a fencing token greater than any before it on
    /// that endpoint.
    func acquireEndpointLease(endpointID: String, jobID: String, kind: String, owner: JobOwner,
                              duration: TimeInterval) throws -> LeaseAcquisition
    /// Extends `lease` (and the journal entries written under it) to `duration`
    /// from now; `InventoryError.fenced` when another job took the endpoint.
    @discardableResult
    func renewEndpointLease(_ lease: EndpointLease, duration: TimeInterval) throws -> EndpointLease
    /// Gives the endpoint back, and hands back the unfinished journal entries
    /// written under it (their lease ends now). A lost lease releases nothing.
    func releaseEndpointLease(_ lease: EndpointLease) throws
    /// Ends the lease `owner` holds on `endpointID` and hands back its
    /// unfinished entries: only for a caller that knows the owner is dead
    /// (its parent reaped it). Says whether anything was released.
    @discardableResult
    func releaseLeases(ofDeadOwner owner: JobOwner, endpointID: String) throws -> Bool
    /// The live lease on `endpointID`, if a job holds one.
    func endpointLease(_ endpointID: String) throws -> EndpointLease?
}

/// The install journal: what an install changed, so a crash is recoverable.
/// Every write presents the job's lease and is fenced by its token.
public protocol InstallJournalStore: Sendable {
    /// Opens job `lease.jobID` on the leased endpoint (a job ID is used once).
    @discardableResult
    func beginInstall(lease: EndpointLease, state: InstallJournalState, payload: String) throws -> InstallJournalEntry
    /// Moves unfinished job `jobID` to `state` (closed when final), replacing
    /// its payload when given; `recordings` (where a managed certificate went,
    /// and its binding: one per node of a job installing on several) are
    /// written in the same transaction or not at all.
    @discardableResult
    func updateInstall(jobID: String, lease: EndpointLease, state: InstallJournalState, payload: String?,
                       recordings: [InstallationRecording]) throws -> InstallJournalEntry
    /// Takes over an unfinished entry of the leased endpoint whose own lease
    /// expired (`InventoryError.installJobLeased` while it is live).
    @discardableResult
    func takeOverInstall(jobID: String, lease: EndpointLease) throws -> InstallJournalEntry
    func installJob(_ jobID: String) throws -> InstallJournalEntry?
    /// Unfinished jobs (on one endpoint, or all), oldest first.
    func unfinishedInstalls(endpointID: String?) throws -> [InstallJournalEntry]
}

/// Managed certificates: every version, by ID, fingerprint or name.
public protocol ManagedCertificateStore: Sendable {
    @discardableResult
    func addManagedCertificate(_ certificate: ManagedCertificateRecord) throws -> ManagedCertificateRecord
    @discardableResult
    func updateManagedCertificate(_ certificate: ManagedCertificateRecord) throws -> ManagedCertificateRecord
    /// By ID or name (a name finds the current version).
    func managedCertificate(matching reference: String) throws -> ManagedCertificateRecord?
    func managedCertificate(fingerprint: String) throws -> ManagedCertificateRecord?
    func managedCertificates() throws -> [ManagedCertificateRecord]
    /// By name the whole lineage (with its renewal schedule, in the same transaction), by ID one version;
    /// returns what was removed.
    @discardableResult
    func removeManagedCertificate(_ reference: String) throws -> [ManagedCertificateRecord]
    /// Name and expiry of every current certificate that has both, by name.
    func currentCertificateExpiries() throws -> [(name: String, notAfter: Date)]
}

/// Lineages (a NAME and its versions), where versions are installed, and
/// the bindings that make a name follow to its newest version.
public protocol CertificateLineageStore: Sendable {
    /// The version carrying the name.
    func currentCertificate(lineage: String) throws -> ManagedCertificateRecord?
    /// Every version of `lineage`, newest first.
    func certificateVersions(lineage: String) throws -> [ManagedCertificateRecord]
    /// The current version of every lineage, then the unnamed certificates.
    func currentCertificates() throws -> [ManagedCertificateRecord]
    /// Stores an issued version and, when it is the newest issued one, moves
    /// the name to it in the same step: a lookup by name sees the old version
    /// or the new one, never neither.
    @discardableResult
    func saveIssuedVersion(_ certificate: ManagedCertificateRecord) throws
        -> (stored: ManagedCertificateRecord, previousID: String?)
    /// Records where a certificate went (and binds a named one when
    /// `recording.bindingNode` is set), in one step.
    @discardableResult
    func recordInstallation(_ recording: InstallationRecording) throws -> CertificateInstallation
    func installations(ofCertificate certificateID: String) throws
        -> [(installation: CertificateInstallation, endpointName: String?)]
    func installations(ofLineage lineage: String) throws
        -> [(installation: CertificateInstallation, endpointName: String?, version: Int?)]
    @discardableResult
    func bind(lineage: String, endpointID: String, node: String, alias: String?) throws -> CertificateBinding
    /// Removes the bindings of `lineage` on the endpoint (one node, or all); returns how many.
    @discardableResult
    func unbind(lineage: String, endpointID: String, node: String?) throws -> Int
    func bindings(ofLineage lineage: String) throws -> [CertificateBinding]
    func bindings(onEndpoint endpointID: String) throws -> [CertificateBinding]
    func allBindings() throws -> [CertificateBinding]
}

/// When each lineage renews, and who is renewing it (exclusive claims with tokens).
public protocol RenewalScheduleStore: Sendable {
    func renewalDefaults() throws -> RenewalDefaults
    /// `renewBeforeDays` `.some(nil)` returns to the lifetime rule; lineages following the default are re-planned.
    @discardableResult
    func setRenewalDefaults(renewBeforeDays: Int??, autoDeploy: Bool?) throws -> RenewalDefaults
    func renewalSchedule(lineage: String) throws -> RenewalScheduleRecord?
    /// Every schedule, soonest first.
    func renewalSchedules() throws -> [RenewalScheduleRecord]
    /// Due at `now` and not claimed by a live claim, soonest first.
    func dueRenewals(at now: Date, limit: Int) throws -> [RenewalScheduleRecord]
    func nextRenewals(limit: Int) throws -> [RenewalScheduleRecord]
    /// Due, but the next attempt waits (a backoff, or the operator).
    func waitingRenewals(at now: Date, limit: Int) throws -> [RenewalScheduleRecord]
    func notDueRenewalCount(at now: Date) throws -> Int
    /// Lineages whose last attempts failed, most failures first.
    func failingRenewals(limit: Int) throws -> [RenewalScheduleRecord]
    @discardableResult
    func ensureRenewalSchedule(lineage: String) throws -> RenewalScheduleRecord
    /// Changes only the given parts (`.some(nil)` returns one to the default) and marks the lineage for re-planning.
    @discardableResult
    func setRenewalPolicy(lineage: String, renewBeforeDays: Int??, autoDeploy: Bool??,
                          issuerName: String??) throws -> RenewalScheduleRecord
    @discardableResult
    func recordIssuanceSettings(lineage: String, issuerName: String, settings: [String: String]) throws
        -> RenewalScheduleRecord
    /// Takes `lineage` until `now + duration` unless a live claim holds it (nil). Exclusive: of
    /// concurrent claims at most one succeeds.
    func claimRenewal(lineage: String, owner: String, duration: TimeInterval, now: Date) throws -> RenewalClaim?
    /// Extends a live claim; nil when it was lost.
    func renewRenewalClaim(_ claim: RenewalClaim, duration: TimeInterval, now: Date) throws -> RenewalClaim?
    /// Gives the lineage back; a lost claim releases nothing.
    func releaseRenewalClaim(_ claim: RenewalClaim) throws
    /// Changes the claimed row through `change`; `InventoryError.renewalClaimLost` when the claim no longer holds it.
    @discardableResult
    func updateRenewalSchedule(_ claim: RenewalClaim, _ change: (inout RenewalScheduleRecord) throws -> Void) throws
        -> RenewalScheduleRecord
    /// Removes the schedule; only by the claim's holder.
    func removeRenewalSchedule(_ claim: RenewalClaim) throws
}

/// ACME issuers and the orders placed with them (resumable after a crash).
public protocol ACMEIssuanceStore: Sendable {
    func addACMEIssuer(_ issuer: ACMEIssuerRecord) throws
    func updateACMEIssuer(_ issuer: ACMEIssuerRecord) throws
    func acmeIssuer(named name: String) throws -> ACMEIssuerRecord?
    func acmeIssuers() throws -> [ACMEIssuerRecord]
    @discardableResult
    func removeACMEIssuer(named name: String) throws -> ACMEIssuerRecord?
    func saveACMEOrder(_ order: ACMEOrderRecord) throws
    func acmeOrder(id: String) throws -> ACMEOrderRecord?
    /// Orders (of one certificate name, or all).
    func acmeOrders(certificateName: String?) throws -> [ACMEOrderRecord]
    /// The unfinished order for this name and issuer, to resume.
    func openACMEOrder(certificateName: String, issuerName: String) throws -> ACMEOrderRecord?
    /// Marks the order completed and saves the issued version (moving the name), in one step.
    @discardableResult
    func completeACMEOrder(_ order: ACMEOrderRecord, certificate: ManagedCertificateRecord) throws
        -> (stored: ManagedCertificateRecord, previousID: String?)
}

/// Issuers that are commands the operator registered.
public protocol CommandIssuerStore: Sendable {
    func addCommandIssuer(_ issuer: CommandIssuerRecord) throws
    func commandIssuer(named name: String) throws -> CommandIssuerRecord?
    func commandIssuers() throws -> [CommandIssuerRecord]
    @discardableResult
    func removeCommandIssuer(named name: String) throws -> CommandIssuerRecord?
}

/// Events waiting for delivery (at-least-once, deduplicated by key).
public protocol EventOutboxStore: Sendable {
    /// Appends `event`; when one with the same `dedupeKey` exists, that one is returned and nothing is added.
    @discardableResult
    func recordEvent(_ event: GatewayEvent) throws -> GatewayEvent
    /// Undelivered events due at `now` (all when nil), oldest due first.
    func undeliveredEvents(limit: Int, dueAt now: Date?) throws -> [GatewayEvent]
    func undeliveredEventCount() throws -> Int
    func nextEventAttempt() throws -> Date?
    /// False when no such undelivered event exists (an event is delivered once).
    @discardableResult
    func markDelivered(_ id: Int64, at time: Date) throws -> Bool
    func markDeliveryFailed(_ id: Int64, channelsDone: Set<String>, error: String, retryAt: Date) throws
    /// Newest first.
    func events(limit: Int) throws -> [GatewayEvent]
}

/// Deploys owed to bindings (`BindingDeployState`): written by auto-deploy before it starts, settled by every
/// deploy that reaches the endpoint, retried when their next attempt comes. A row goes with its binding.
public protocol BindingDeployStore: Sendable {
    /// Every binding of `lineage` (or those on `endpointIDs`) owes a deploy of `certificateID`, due at `now`.
    /// A binding already owing that version keeps its attempts and backoff; one owing an older one starts again.
    @discardableResult
    func markDeployPending(lineage: String, certificateID: String, endpointIDs: [String]?, at now: Date) throws
        -> [BindingDeployState]
    /// Forgets owed deploys of `certificateID` never attempted (a renewal that failed before a new version existed).
    func clearUntriedDeploys(lineage: String, certificateID: String) throws
    /// The endpoint holds the version now: nothing is owed there.
    func recordDeploySucceeded(lineage: String, endpointID: String) throws
    /// The deploy to the endpoint failed: its owed rows (only those) count the attempt and wait until
    /// `retryAt(attempts)`. Returns the rows as stored.
    @discardableResult
    func recordDeployFailed(lineage: String, endpointID: String, errorClass: String, category: String, message: String,
                            at now: Date, retryAt: (Int) -> Date) throws -> [BindingDeployState]
    /// Owed deploys due at `now`, soonest first, leaving out lineages a live renewal claim holds.
    func dueDeploys(at now: Date, limit: Int) throws -> [BindingDeployState]
    /// When the next owed deploy may be tried (after any renewal claim on its lineage).
    func nextDeployAttempt() throws -> Date?
    /// Owed deploys of `lineage` (all when nil), by lineage, endpoint and node.
    func deployStates(lineage: String?, limit: Int) throws -> [BindingDeployState]
    func deployStateCount() throws -> Int
}

/// Everything the gateway keeps, as one store. Services hold `any InventoryStore`.
public protocol InventoryStore: EndpointInventory, HostKeyPinStore, CredentialStoreRegistry, TrustAnchorStore,
    AuditTrail, EndpointLeaseStore, InstallJournalStore, ManagedCertificateStore, CertificateLineageStore,
    RenewalScheduleStore, ACMEIssuanceStore, CommandIssuerStore, EventOutboxStore, BindingDeployStore {
    /// Identifiers of the applied schema migrations, oldest first.
    var appliedMigrations: [String] { get throws }
}

// MARK: - Shorter calls (defaults a protocol requirement cannot carry)

extension InventoryStore {
    /// The number of schema migrations applied.
    public var schemaVersion: Int {
        get throws { try appliedMigrations.count }
    }
}

extension EndpointInventory {
    @discardableResult
    public func addEndpoint(_ endpoint: EndpointRecord) throws -> EndpointRecord {
        try addEndpoint(endpoint, hostKeyPin: nil)
    }

    @discardableResult
    public func updateEndpointSettings(_ endpoint: EndpointRecord) throws -> EndpointRecord {
        try updateEndpointSettings(endpoint, hostKeyPin: nil)
    }
}

extension AuditTrail {
    /// The whole trail, oldest first.
    public func auditRecords() throws -> [AuditRecord] { try auditRecords(AuditFilter()) }
}

extension InstallJournalStore {
    @discardableResult
    public func updateInstall(jobID: String, lease: EndpointLease, state: InstallJournalState) throws -> InstallJournalEntry {
        try updateInstall(jobID: jobID, lease: lease, state: state, payload: nil, recordings: [])
    }

    @discardableResult
    public func updateInstall(jobID: String, lease: EndpointLease, state: InstallJournalState,
                              payload: String?) throws -> InstallJournalEntry {
        try updateInstall(jobID: jobID, lease: lease, state: state, payload: payload, recordings: [])
    }

    @discardableResult
    public func updateInstall(jobID: String, lease: EndpointLease, state: InstallJournalState,
                              recording: InstallationRecording?) throws -> InstallJournalEntry {
        try updateInstall(jobID: jobID, lease: lease, state: state, payload: nil, recordings: recording.map { [$0] } ?? [])
    }

    /// Every unfinished job, oldest first.
    public func unfinishedInstalls() throws -> [InstallJournalEntry] { try unfinishedInstalls(endpointID: nil) }
}

extension CertificateLineageStore {
    /// Records that `certificateID` now serves on `node` of `endpointID` (see `recordInstallation(_:)`).
    @discardableResult
    public func recordInstallation(certificateID: String, endpointID: String, node: String,
                                   servedAddress: String? = nil, servedName: String? = nil,
                                   bindingNode: String? = nil, alias: String? = nil) throws -> CertificateInstallation {
        try recordInstallation(InstallationRecording(certificateID: certificateID, endpointID: endpointID, node: node,
                                                     servedAddress: servedAddress, servedName: servedName,
                                                     bindingNode: bindingNode, alias: alias))
    }
}

extension RenewalScheduleStore {
    @discardableResult
    public func setRenewalPolicy(lineage: String, renewBeforeDays: Int??) throws -> RenewalScheduleRecord {
        try setRenewalPolicy(lineage: lineage, renewBeforeDays: renewBeforeDays, autoDeploy: nil, issuerName: nil)
    }

    @discardableResult
    public func setRenewalPolicy(lineage: String, renewBeforeDays: Int??, autoDeploy: Bool??) throws -> RenewalScheduleRecord {
        try setRenewalPolicy(lineage: lineage, renewBeforeDays: renewBeforeDays, autoDeploy: autoDeploy, issuerName: nil)
    }

    /// Claims at the caller's clock.
    public func claimRenewal(lineage: String, owner: String, duration: TimeInterval) throws -> RenewalClaim? {
        try claimRenewal(lineage: lineage, owner: owner, duration: duration, now: Date())
    }

    public func renewRenewalClaim(_ claim: RenewalClaim, duration: TimeInterval) throws -> RenewalClaim? {
        try renewRenewalClaim(claim, duration: duration, now: Date())
    }
}

extension ACMEIssuanceStore {
    /// Every order.
    public func acmeOrders() throws -> [ACMEOrderRecord] { try acmeOrders(certificateName: nil) }
}

extension EventOutboxStore {
    /// Every undelivered event, due or not.
    public func undeliveredEvents(limit: Int) throws -> [GatewayEvent] { try undeliveredEvents(limit: limit, dueAt: nil) }

    @discardableResult
    public func markDelivered(_ id: Int64) throws -> Bool { try markDelivered(id, at: Date()) }
}

extension BindingDeployStore {
    @discardableResult
    public func markDeployPending(lineage: String, certificateID: String) throws -> [BindingDeployState] {
        try markDeployPending(lineage: lineage, certificateID: certificateID, endpointIDs: nil, at: Date())
    }

    @discardableResult
    public func recordDeployFailed(lineage: String, endpointID: String, errorClass: String, category: String, message: String,
                                   retryAt: (Int) -> Date) throws -> [BindingDeployState] {
        try recordDeployFailed(lineage: lineage, endpointID: endpointID, errorClass: errorClass, category: category,
                               message: message, at: Date(), retryAt: retryAt)
    }

    public func deployStates(lineage: String? = nil) throws -> [BindingDeployState] {
        try deployStates(lineage: lineage, limit: 1_000)
    }

    public func deployStates(limit: Int) throws -> [BindingDeployState] {
        try deployStates(lineage: nil, limit: limit)
    }
}
