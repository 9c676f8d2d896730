import Foundation
import GRDB
@testable import OGInventory
import OGTestSupport
import OGBasics
import Testing

/// One way to open an inventory implementation, for the contract suite. Adding
/// an implementation (PostgreSQL) means adding one of these to `all`.
struct InventoryImplementation: Sendable, CustomTestStringConvertible {
    var name: String
    /// A new, empty store's location inside `directory`.
    var freshLocation: @Sendable (_ directory: TemporaryDirectory) throws -> String
    /// Opens (another connection to) the store at `location`: a second gateway process sharing it.
    var open: @Sendable (_ location: String) throws -> any InventoryStore
    /// Marks the store at `location` as written by a newer og-host: a migration this one does not know.
    var recordUnknownMigration: @Sendable (_ location: String, _ identifier: String) throws -> Void

    var testDescription: String { name }

    static let sqlite = InventoryImplementation(
        name: "SQLite",
        freshLocation: { $0.file("inventory.sqlite") },
        open: { try SQLiteInventory(path: $0) },
        recordUnknownMigration: { location, identifier in
            try SQLiteInventory(path: location).pool.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [identifier])
            }
        })

    static let all: [InventoryImplementation] = [.sqlite]
}

/// What every `InventoryStore` must do, whatever holds the data: written
/// against `any InventoryStore` only, and run over every implementation.
@Suite struct InventoryStoreContractTests {
    /// A fresh store of `implementation` with one endpoint, and a way to open a second connection to it.
    struct World {
        let directory: TemporaryDirectory
        let location: String
        let implementation: InventoryImplementation
        let store: any InventoryStore
        let endpoint: EndpointRecord
        let owner: JobOwner

        init(_ implementation: InventoryImplementation) throws {
            directory = try TemporaryDirectory("og-inventory-contract")
            location = try implementation.freshLocation(directory)
            self.implementation = implementation
            store = try implementation.open(location)
            endpoint = try store.addEndpoint(InventoryFixture.endpoint("web1"))
            owner = JobOwner.current(gatewayID: try store.gatewayID())
        }

        func another() throws -> any InventoryStore { try implementation.open(location) }

        func acquire(_ jobID: String, duration: TimeInterval, on store: (any InventoryStore)? = nil) throws -> EndpointLease {
            let result = try (store ?? self.store).acquireEndpointLease(endpointID: endpoint.id, jobID: jobID, kind: "install",
                                                                         owner: owner, duration: duration)
            guard case .acquired(let lease, _) = result else {
                Issue.record("endpoint busy for \(jobID)")
                throw CancellationError()
            }
            return lease
        }

        /// Waits (on the test's clock) until `lease` has expired by a margin the store's clock cannot miss.
        func outlive(_ lease: EndpointLease) {
            let remaining = lease.expiresAt.timeIntervalSinceNow
            if remaining > -0.05 { Thread.sleep(forTimeInterval: remaining + 0.1) }
        }
    }

    static func isFenced(_ error: (any Error)?) -> Bool {
        if case .fenced? = error as? InventoryError { return true }
        return false
    }

    // MARK: - Endpoint leases and fencing

    @Test(arguments: InventoryImplementation.all)
    func aLiveLeaseCannotBeTakenAndAnExpiredOneCan(_ implementation: InventoryImplementation) throws {
        let world = try World(implementation)
        let first = try world.acquire("job-1", duration: 600)
        guard case .busy(let holder) = try world.another().acquireEndpointLease(
            endpointID: world.endpoint.id, jobID: "job-2", kind: "install", owner: world.owner, duration: 600) else {
            Issue.record("a live lease was taken")
            return
        }
        #expect(holder == first)
        #expect(try world.store.endpointLease(world.endpoint.id) == first)
        try world.store.releaseEndpointLease(first)
        #expect(try world.store.endpointLease(world.endpoint.id) == nil)

        let short = try world.acquire("job-3", duration: 0.2)
        #expect(short.fencingToken > first.fencingToken)
        world.outlive(short)
        #expect(try world.store.endpointLease(world.endpoint.id) == nil, "an expired lease is not live")
        guard case .acquired(let taken, let tookOverFrom) = try world.another().acquireEndpointLease(
            endpointID: world.endpoint.id, jobID: "job-4", kind: "install", owner: world.owner, duration: 600) else {
            Issue.record("an expired lease was not taken over")
            return
        }
        #expect(tookOverFrom == short)
        #expect(taken.fencingToken > short.fencingToken, "every acquisition gets a greater token")
    }

    @Test(arguments: InventoryImplementation.all)
    func aStaleTokenIsRefusedAndWritesNothing(_ implementation: InventoryImplementation) throws {
        let world = try World(implementation)
        let stale = try world.acquire("job-1", duration: 0.2)
        try world.store.beginInstall(lease: stale, state: .backingUp, payload: "{}")
        world.outlive(stale)
        let current = try world.acquire("job-2", duration: 600, on: try world.another())

        #expect(Self.isFenced(#expect(throws: InventoryError.self) {
            try world.store.updateInstall(jobID: "job-1", lease: stale, state: .writing)
        }))
        #expect(Self.isFenced(#expect(throws: InventoryError.self) {
            try world.store.renewEndpointLease(stale, duration: 600)
        }))
        #expect(Self.isFenced(#expect(throws: InventoryError.self) {
            try world.store.beginInstall(lease: stale, state: .backingUp, payload: "{}")
        }))
        try world.store.releaseEndpointLease(stale)
        #expect(try world.store.endpointLease(world.endpoint.id) == current, "a lost lease releases nothing")
        #expect(try world.store.installJob("job-1")?.typedState == .backingUp, "a refused write changed nothing")

        // The new holder takes the abandoned entry over; from then on only its token writes it.
        let taken = try world.store.takeOverInstall(jobID: "job-1", lease: current)
        #expect(taken.fencingToken == current.fencingToken)
        try world.store.updateInstall(jobID: "job-1", lease: current, state: .rolledBack)
        #expect(try world.store.unfinishedInstalls().isEmpty)
    }

    @Test(arguments: InventoryImplementation.all)
    func aLiveJobsEntryCannotBeTakenOverAndADeadOwnersCanAtOnce(_ implementation: InventoryImplementation) throws {
        let world = try World(implementation)
        let running = try world.acquire("job-1", duration: 600)
        try world.store.beginInstall(lease: running, state: .writing, payload: "{}")
        #expect(throws: InventoryError.self) { try world.store.takeOverInstall(jobID: "job-1", lease: running) }

        // Its parent reaped the process: the lease and its entries are handed back without waiting out the lease.
        #expect(try world.another().releaseLeases(ofDeadOwner: running.owner, endpointID: world.endpoint.id))
        let recovering = try world.acquire("recover-1", duration: 600)
        let taken = try world.store.takeOverInstall(jobID: "job-1", lease: recovering)
        #expect(taken.fencingToken == recovering.fencingToken && taken.typedState == .writing)
        #expect(Self.isFenced(#expect(throws: InventoryError.self) {
            try world.store.updateInstall(jobID: "job-1", lease: running, state: .succeeded)
        }), "the dead owner's token no longer writes")
    }

    @Test(arguments: InventoryImplementation.all)
    func aHeartbeatKeepsTheJobsEntriesLiveAndAReleaseHandsThemBack(_ implementation: InventoryImplementation) throws {
        let world = try World(implementation)
        let lease = try world.acquire("job-1", duration: 0.3)
        try world.store.beginInstall(lease: lease, state: .writing, payload: "{}")
        let renewed = try world.store.renewEndpointLease(lease, duration: 600)
        #expect(renewed.fencingToken == lease.fencingToken && renewed.expiresAt > lease.expiresAt)
        world.outlive(lease)
        #expect(try world.store.endpointLease(world.endpoint.id) == renewed, "the renewed lease outlives the first expiry")
        #expect(try world.store.installJob("job-1")?.leaseExpired() == false, "and so does the entry written under it")

        // A rollback that could not finish leaves the entry open; releasing hands it to the next job at once.
        try world.store.releaseEndpointLease(renewed)
        #expect(try world.store.installJob("job-1")?.leaseExpired() == true)
        let next = try world.acquire("recover-1", duration: 600, on: try world.another())
        #expect(try world.store.takeOverInstall(jobID: "job-1", lease: next).fencingToken == next.fencingToken)
    }

    @Test(arguments: InventoryImplementation.all)
    func concurrentAcquisitionsGrantOneLease(_ implementation: InventoryImplementation) throws {
        let world = try World(implementation)
        let stores = try (0..<8).map { _ in try world.another() }
        let granted = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: stores.count) { index in
            if case .acquired(let lease, _)? = try? stores[index].acquireEndpointLease(
                endpointID: world.endpoint.id, jobID: "job-\(index)", kind: "install", owner: world.owner, duration: 600) {
                granted.withLock { $0.append(lease.jobID) }
            }
        }
        #expect(granted.withLock { $0.count } == 1)
        #expect(try world.store.endpointLease(world.endpoint.id)?.jobID == granted.withLock { $0.first })
    }

    // MARK: - Journal and inventory agree

    @Test(arguments: InventoryImplementation.all)
    func aJournalStateAndItsRecordingAreWrittenTogetherOrNotAtAll(_ implementation: InventoryImplementation) throws {
        let world = try World(implementation)
        let certificate = try world.store.addManagedCertificate(CertificateInventoryTests.pending("web"))
        let lease = try world.acquire("job-1", duration: 600)
        try world.store.beginInstall(lease: lease, state: .written, payload: "{}")

        let missing = InstallationRecording(certificateID: UUID().uuidString.lowercased(), endpointID: world.endpoint.id,
                                            node: "default", bindingNode: "")
        #expect(throws: InventoryError.self) {
            try world.store.updateInstall(jobID: "job-1", lease: lease, state: .verified, recording: missing)
        }
        #expect(try world.store.installJob("job-1")?.typedState == .written, "the state did not move without its recording")

        let recording = InstallationRecording(certificateID: certificate.id, endpointID: world.endpoint.id,
                                              node: "default", bindingNode: "")
        try world.store.updateInstall(jobID: "job-1", lease: lease, state: .verified, recording: recording)
        #expect(try world.store.installJob("job-1")?.typedState == .verified)
        #expect(try world.store.installations(ofCertificate: certificate.id).map(\.installation.node) == ["default"])
        #expect(try world.store.bindings(ofLineage: "web").map(\.endpointID) == [world.endpoint.id])
    }

    // MARK: - Lineages

    @Test(arguments: InventoryImplementation.all)
    func aLineagesNameMovesToTheNewestIssuedVersionInOneStep(_ implementation: InventoryImplementation) throws {
        let world = try World(implementation)
        let store = world.store
        let first = try store.updateManagedCertificate(
            CertificateLineageTests.issued(try store.addManagedCertificate(CertificateInventoryTests.pending("web")), "a"))
        let reader = try world.another()
        let stop = Locked(false)
        let seen = Locked<(lookups: Int, missing: Int)>((0, 0))
        let readerDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            while !stop.withLock({ $0 }) {
                let found = (try? reader.currentCertificate(lineage: "web")) ?? nil
                seen.withLock { $0.lookups += 1; if found == nil { $0.missing += 1 } }
            }
            readerDone.signal()
        }
        var previous = first
        for (version, digit) in zip(2...9, "bcdefghi") {
            let pending = try store.addManagedCertificate(CertificateLineageTests.pending(nil, lineage: "web"))
            #expect(pending.version == version)
            let (stored, previousID) = try store.saveIssuedVersion(CertificateLineageTests.issued(pending, digit))
            #expect(previousID == previous.id && stored.name == "web")
            previous = stored
        }
        stop.withLock { $0 = true }
        readerDone.wait()
        #expect(seen.withLock { $0.missing } == 0, "a lookup by name found neither version \(seen.withLock { $0 })")
        #expect(seen.withLock { $0.lookups } > 0)
        #expect(try store.currentCertificate(lineage: "web")?.id == previous.id)
        #expect(try store.certificateVersions(lineage: "web").map(\.version) == Array((1...9).reversed()))
        #expect(try store.certificateVersions(lineage: "web").filter { $0.name == "web" }.count == 1, "exactly one version carries the name")
    }

    // MARK: - Owed deploys

    @Test(arguments: InventoryImplementation.all)
    func anOwedDeployIsDueWhenItsTimeComesUnlessARenewalHoldsItsLineageAndGoesWithItsBinding(
        _ implementation: InventoryImplementation) throws {
        let world = try World(implementation)
        let store = world.store
        let version = try store.updateManagedCertificate(
            CertificateLineageTests.issued(try store.addManagedCertificate(CertificateInventoryTests.pending("web")), "a"))
        try store.bind(lineage: "web", endpointID: world.endpoint.id, node: "", alias: nil)
        let now = Date()
        let marked = try store.markDeployPending(lineage: "web", certificateID: version.id, endpointIDs: nil, at: now)
        #expect(marked.map(\.state) == [.pending] && marked.first?.attempts == 0)
        #expect(try store.dueDeploys(at: now, limit: 10).count == 1)

        // A live renewal claim on the lineage hides it (that renewal deploys); its end is the next attempt.
        try store.ensureRenewalSchedule(lineage: "web")
        let claim = try #require(try store.claimRenewal(lineage: "web", owner: "A", duration: 60, now: now))
        #expect(try store.dueDeploys(at: now.addingTimeInterval(1), limit: 10).isEmpty)
        #expect(try store.nextDeployAttempt().map { abs($0.timeIntervalSince(claim.expiresAt)) < 0.01 } == true)
        try store.releaseRenewalClaim(claim)

        // A failure counts the attempt and waits; marking the same version again keeps the count.
        let failed = try store.recordDeployFailed(lineage: "web", endpointID: world.endpoint.id, errorClass: "network",
                                                  category: "transient", message: "refused", at: now) {
            now.addingTimeInterval(Double($0) * 60)
        }
        #expect(failed.first?.state == .failed && failed.first?.attempts == 1 && failed.first?.lastError == "refused")
        #expect(try store.dueDeploys(at: now.addingTimeInterval(30), limit: 10).isEmpty)
        #expect(try store.dueDeploys(at: now.addingTimeInterval(61), limit: 10).count == 1)
        #expect(try store.markDeployPending(lineage: "web", certificateID: version.id, endpointIDs: nil, at: now).first?.attempts == 1)
        #expect(try store.markDeployPending(lineage: "web", certificateID: "newer", endpointIDs: nil, at: now).first?.attempts == 0,
                "a newer version starts again")

        // Untried rows of a version go on request; success clears; an unbound binding takes its row along.
        try store.clearUntriedDeploys(lineage: "web", certificateID: "newer")
        #expect(try store.deployStateCount() == 0)
        try store.markDeployPending(lineage: "web", certificateID: version.id, endpointIDs: nil, at: now)
        try store.recordDeploySucceeded(lineage: "web", endpointID: world.endpoint.id)
        #expect(try store.deployStates(lineage: "web", limit: 10).isEmpty)
        try store.markDeployPending(lineage: "web", certificateID: version.id, endpointIDs: nil, at: now)
        #expect(try store.unbind(lineage: "web", endpointID: world.endpoint.id, node: nil) == 1)
        #expect(try store.deployStateCount() == 0)
        // A failure nobody owed records nothing.
        #expect(try store.recordDeployFailed(lineage: "web", endpointID: world.endpoint.id, errorClass: "other",
                                             category: "internal", message: "x", at: now) { _ in now }.isEmpty)
    }

    // MARK: - Renewal claims

    @Test(arguments: InventoryImplementation.all)
    func aRenewalClaimIsExclusiveUntilItExpiresAndALostClaimWritesNothing(_ implementation: InventoryImplementation) throws {
        let world = try World(implementation)
        try world.store.ensureRenewalSchedule(lineage: "web")
        let other = try world.another()
        let now = Date()
        let mine = try #require(try world.store.claimRenewal(lineage: "web", owner: "gateway A", duration: 60, now: now))
        #expect(try other.claimRenewal(lineage: "web", owner: "gateway B", duration: 60, now: now.addingTimeInterval(30)) == nil)
        #expect(try other.dueRenewals(at: now.addingTimeInterval(30), limit: 10).isEmpty, "a claimed lineage is not due to others")

        let later = now.addingTimeInterval(61)
        let theirs = try #require(try other.claimRenewal(lineage: "web", owner: "gateway B", duration: 60, now: later))
        #expect(theirs.token != mine.token)
        #expect(try world.store.renewRenewalClaim(mine, duration: 60, now: later) == nil)
        let lost = #expect(throws: InventoryError.self) {
            try world.store.updateRenewalSchedule(mine) { $0.failures = 99 }
        }
        #expect(lost == .renewalClaimLost(lineage: "web"))
        try world.store.releaseRenewalClaim(mine)
        try world.store.removeRenewalSchedule(mine)
        let row = try #require(try other.renewalSchedule(lineage: "web"))
        #expect(row.failures == 0 && row.claimToken == theirs.token, "the lost claim changed, released and removed nothing")

        try other.updateRenewalSchedule(theirs) { $0.failures = 1 }
        try other.releaseRenewalClaim(theirs)
        #expect(try world.store.claimRenewal(lineage: "web", owner: "gateway A", duration: 60, now: later) != nil,
                "a released claim is free at once")
    }

    @Test(arguments: InventoryImplementation.all)
    func concurrentClaimsOnOneLineageGrantOne(_ implementation: InventoryImplementation) throws {
        let world = try World(implementation)
        try world.store.ensureRenewalSchedule(lineage: "web")
        let stores = try (0..<8).map { _ in try world.another() }
        let granted = Locked(0)
        let now = Date()
        DispatchQueue.concurrentPerform(iterations: stores.count) { index in
            if (try? stores[index].claimRenewal(lineage: "web", owner: "worker \(index)", duration: 600, now: now)) != nil {
                granted.withLock { $0 += 1 }
            }
        }
        #expect(granted.withLock { $0 } == 1)
    }

    // MARK: - Event outbox

    @Test(arguments: InventoryImplementation.all)
    func theOutboxRecordsAnEventOncePerKeyAndDeliversItOnce(_ implementation: InventoryImplementation) throws {
        let world = try World(implementation)
        let event = GatewayEvent(kind: .renewed, subject: "web", payloadJSON: #"{"version":2}"#, dedupeKey: "renewed web 2")
        let first = try world.store.recordEvent(event)
        let again = try world.another().recordEvent(GatewayEvent(kind: .renewed, subject: "web", payloadJSON: #"{"version":3}"#,
                                                                 dedupeKey: "renewed web 2"))
        #expect(first.id != nil && again.id == first.id && again.payload == first.payload, "the first one wins")
        #expect(try world.store.undeliveredEventCount() == 1)
        let unkeyed = try world.store.recordEvent(GatewayEvent(kind: .expiring, subject: "web"))
        #expect(try #require(unkeyed.id) > first.id!, "IDs increase")

        #expect(try world.store.markDelivered(first.id!, at: Date()))
        #expect(try !world.another().markDelivered(first.id!, at: Date()), "an event is delivered once")
        #expect(try world.store.undeliveredEvents(limit: 10).map(\.id) == [unkeyed.id])
    }

    // MARK: - Schema

    @Test(arguments: InventoryImplementation.all)
    func migrationsAreNamedAppliedOnceAndANewerStoreIsRefused(_ implementation: InventoryImplementation) throws {
        let world = try World(implementation)
        let applied = try world.store.appliedMigrations
        #expect(!applied.isEmpty)
        #expect(Set(applied).count == applied.count, "each migration once")
        #expect(try world.store.schemaVersion == applied.count)
        let reopened = try world.another()
        #expect(try reopened.appliedMigrations == applied, "opening again applies nothing")
        #expect(try reopened.endpoints().map(\.name) == ["web1"], "and keeps the data")

        try implementation.recordUnknownMigration(world.location, "99-from-the-future")
        let error = #expect(throws: InventoryError.self) { try implementation.open(world.location) }
        guard case .databaseFromNewerVersion(_, let unknown)? = error else {
            Issue.record("expected databaseFromNewerVersion, got \(String(describing: error))")
            return
        }
        #expect(unknown == ["99-from-the-future"])
    }

    // MARK: - The seam

    /// Services see the protocol only: GRDB only in the SQLite implementation's folder (not in the protocol or the
    /// shared records), and the implementation named in one place (`Gateway.inventory()`), so a second one is
    /// added there and here.
    @Test func servicesSeeOnlyTheProtocol() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let host = root.appendingPathComponent("Host")
        let files = (FileManager.default.enumerator(atPath: host.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".swift") }
        #expect(files.count > 100, "the Host sources were found at \(host.path)")
        var offenders: [String] = []
        for relative in files {
            let text = try String(contentsOf: host.appendingPathComponent(relative), encoding: .utf8)
            let code = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
            let importsGRDB = code.contains { $0.range(of: #"^\s*(@\w+\s+)?(public |internal |private |fileprivate )?import (\w+ )?GRDB\b"#, options: .regularExpression) != nil }
            if importsGRDB && !relative.hasPrefix("Inventory/SQLite/") {
                offenders.append("Host/\(relative) imports GRDB")
            }
            if !relative.hasPrefix("Inventory/") && relative != "Core/Gateway/Gateway.swift"
                && code.contains(where: { $0.contains("SQLiteInventory") }) {
                offenders.append("Host/\(relative) names SQLiteInventory; hold any InventoryStore")
            }
        }
        #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
    }

    // MARK: - One transaction per call

    @Test(arguments: InventoryImplementation.all)
    func aRefusedCallChangesNothing(_ implementation: InventoryImplementation) throws {
        let world = try World(implementation)
        // Taken name: nothing added.
        #expect(throws: InventoryError.self) { try world.store.addEndpoint(InventoryFixture.endpoint("web1")) }
        #expect(try world.store.endpoints().count == 1)
        // A busy endpoint is not removed, nor its lease row.
        let lease = try world.acquire("job-1", duration: 600)
        #expect(throws: InventoryError.self) { try world.another().removeEndpoint("web1") }
        #expect(try world.store.endpoint(named: "web1") != nil)
        // An unfinished install keeps the record recovery needs, even once the lease is given back.
        try world.store.beginInstall(lease: lease, state: .writing, payload: "{}")
        try world.store.releaseEndpointLease(lease)
        let unfinished = #expect(throws: InventoryError.self) { try world.store.removeEndpoint("web1") }
        #expect(unfinished == .endpointHasUnfinishedInstall(endpoint: "web1", jobID: "job-1"))
        #expect(try world.store.endpoint(named: "web1") != nil)
    }
}
