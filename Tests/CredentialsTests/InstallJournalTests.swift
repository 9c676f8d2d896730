import Foundation
import GRDB
@testable import OGInventory
import OGTestSupport
import Testing

/// The install journal and the endpoint leases it is written under: one job
/// per endpoint, owners and fencing tokens, takeover only after expiry.
@Suite struct InstallJournalTests {
    let fixture: InventoryFixture
    let endpoint: EndpointRecord
    let owner: JobOwner

    init() throws {
        fixture = try InventoryFixture()
        endpoint = try fixture.inventory.addEndpoint(InventoryFixture.endpoint("web1"))
        owner = JobOwner.current(gatewayID: try fixture.inventory.gatewayID())
    }

    func acquire(_ jobID: String, duration: TimeInterval = 30, owner: JobOwner? = nil) throws -> EndpointLease {
        guard case .acquired(let lease, _) = try fixture.inventory.acquireEndpointLease(
            endpointID: endpoint.id, jobID: jobID, kind: "install", owner: owner ?? self.owner, duration: duration) else {
            Issue.record("endpoint busy")
            throw CancellationError()
        }
        return lease
    }

    @Test func gatewayIDIsCreatedOnceAndKeptAcrossOpenings() throws {
        let id = try fixture.inventory.gatewayID()
        #expect(UUID(uuidString: id) != nil)
        #expect(try SQLiteInventory(path: fixture.path).gatewayID() == id)
        let other = try InventoryFixture()
        #expect(try other.inventory.gatewayID() != id, "one per data directory")
    }

    @Test func unfinishedJobsAreListedUntilFinished() throws {
        let lease = try acquire("job-1")
        let job = try fixture.inventory.beginInstall(lease: lease, state: .backingUp, payload: #"{"steps":[]}"#)
        #expect(job.owner == owner && job.fencingToken == lease.fencingToken && job.leaseExpiresAt == lease.expiresAt)
        #expect(try fixture.inventory.unfinishedInstalls().map(\.jobID) == ["job-1"])

        let backup = #"{"backups":[{"path":"/etc/nginx/cert.pem","copy":"/var/backup/1"}]}"#
        let updated = try fixture.inventory.updateInstall(jobID: "job-1", lease: lease, state: .writing, payload: backup)
        #expect(updated.typedState == .writing && updated.payload == backup && !updated.isFinished)
        #expect(try fixture.inventory.unfinishedInstalls(endpointID: endpoint.id).first?.payload == backup)

        let finished = try fixture.inventory.updateInstall(jobID: "job-1", lease: lease, state: .succeeded)
        #expect(finished.isFinished && finished.typedState == .succeeded && finished.payload == backup)
        #expect(try fixture.inventory.unfinishedInstalls().isEmpty)
        #expect(try fixture.inventory.installJob("job-1") == finished)
    }

    @Test func finishedJobCannotChangeAndUnknownJobIsNamed() throws {
        let lease = try acquire("job-1")
        try fixture.inventory.beginInstall(lease: lease, state: .backingUp, payload: "{}")
        try fixture.inventory.updateInstall(jobID: "job-1", lease: lease, state: .rolledBack)
        let again = #expect(throws: InventoryError.self) {
            try fixture.inventory.updateInstall(jobID: "job-1", lease: lease, state: .writing)
        }
        #expect(again == .installJobFinished("job-1"))
        let unknown = #expect(throws: InventoryError.self) {
            try fixture.inventory.updateInstall(jobID: "job-2", lease: lease, state: .succeeded)
        }
        #expect(unknown == .installJobNotFound("job-2"))
        let reused = #expect(throws: InventoryError.self) {
            try fixture.inventory.beginInstall(lease: lease, state: .backingUp, payload: "{}")
        }
        #expect(reused == .installJobIDTaken("job-1"))
    }

    @Test func secondJobOnABusyEndpointIsRefusedWithItsHolder() throws {
        let first = try acquire("job-1")
        let second = try fixture.inventory.acquireEndpointLease(endpointID: endpoint.id, jobID: "job-2", kind: "install",
                                                                owner: owner, duration: 30)
        guard case .busy(let holder) = second else { Issue.record("a second job got a held endpoint"); return }
        #expect(holder == first)
        #expect(try fixture.inventory.endpointLease(endpoint.id) == first)

        try fixture.inventory.releaseEndpointLease(first)
        #expect(try fixture.inventory.endpointLease(endpoint.id) == nil)
        let next = try acquire("job-2")
        #expect(next.fencingToken == first.fencingToken + 1, "every acquisition gets a larger token")
    }

    /// The install job writes where a managed certificate went in the same
    /// transaction as its `verified` state: a job that never got there leaves
    /// no installation or binding behind for recovery to contradict, and a
    /// fenced (taken-over) job writes neither.
    @Test func verifiedStateAndInstallationAreOneTransaction() throws {
        let certificate = try fixture.inventory.addManagedCertificate(
            CertificateLineageTests.issued(CertificateLineageTests.pending("site"), "a"))
        let recording = InstallationRecording(certificateID: certificate.id, endpointID: endpoint.id, node: "alpha",
                                              servedAddress: "127.0.0.1:8443", bindingNode: "")

        let stale = try acquire("job-1", duration: 0.05)
        try fixture.inventory.beginInstall(lease: stale, state: .writing, payload: "{}")
        usleep(100_000)
        guard case .acquired(let fresh, _) = try fixture.inventory.acquireEndpointLease(
            endpointID: endpoint.id, jobID: "job-2", kind: "recover", owner: owner, duration: 30) else {
            Issue.record("expired lease not taken over"); return
        }
        #expect(throws: InventoryError.self) {
            try fixture.inventory.updateInstall(jobID: "job-1", lease: stale, state: .verified, recording: recording)
        }
        #expect(try fixture.inventory.installations(ofCertificate: certificate.id).isEmpty,
                "a fenced job records no installation")
        #expect(try fixture.inventory.bindings(ofLineage: "site").isEmpty, "nor a binding")
        try fixture.inventory.takeOverInstall(jobID: "job-1", lease: fresh)
        try fixture.inventory.updateInstall(jobID: "job-1", lease: fresh, state: .recovered)
        try fixture.inventory.releaseEndpointLease(fresh)

        let lease = try acquire("job-3")
        try fixture.inventory.beginInstall(lease: lease, state: .writing, payload: "{}")
        let verified = try fixture.inventory.updateInstall(jobID: "job-3", lease: lease, state: .verified, recording: recording)
        #expect(verified.typedState == .verified)
        let installed = try fixture.inventory.installations(ofCertificate: certificate.id)
        #expect(installed.map(\.installation.node) == ["alpha"])
        #expect(installed.first?.installation.servedAddress == "127.0.0.1:8443")
        #expect(try fixture.inventory.bindings(ofLineage: "site").map(\.endpointID) == [endpoint.id])

        // A recording the inventory refuses (its certificate is gone) leaves the state unwritten too.
        let other = InstallationRecording(certificateID: UUID().uuidString.lowercased(), endpointID: endpoint.id,
                                          node: "beta")
        #expect(throws: InventoryError.self) {
            try fixture.inventory.updateInstall(jobID: "job-3", lease: lease, state: .succeeded, recording: other)
        }
        #expect(try fixture.inventory.installJob("job-3")?.typedState == .verified)
    }

    @Test func staleOwnerIsFencedAfterTakeover() throws {
        let stale = try acquire("job-1", duration: 0.05)
        try fixture.inventory.beginInstall(lease: stale, state: .writing, payload: "{}")
        usleep(100_000)

        let outcome = try fixture.inventory.acquireEndpointLease(endpointID: endpoint.id, jobID: "job-2", kind: "recover",
                                                                 owner: owner, duration: 30)
        guard case .acquired(let fresh, let previous) = outcome else { Issue.record("expired lease not taken over"); return }
        #expect(previous == stale)

        // The old owner wakes up: every write it tries is refused.
        let write = #expect(throws: InventoryError.self) {
            try fixture.inventory.updateInstall(jobID: "job-1", lease: stale, state: .written)
        }
        #expect(write == .fenced(jobID: "job-1", token: stale.fencingToken, current: fresh.fencingToken))
        #expect(throws: InventoryError.self) { try fixture.inventory.renewEndpointLease(stale, duration: 30) }
        try fixture.inventory.releaseEndpointLease(stale)
        #expect(try fixture.inventory.endpointLease(endpoint.id) == fresh, "a stale release gives nothing back")

        // The new owner takes the interrupted entry over and closes it.
        let taken = try fixture.inventory.takeOverInstall(jobID: "job-1", lease: fresh)
        #expect(taken.fencingToken == fresh.fencingToken && taken.typedState == .writing)
        let closed = try fixture.inventory.updateInstall(jobID: "job-1", lease: fresh, state: .recovered)
        #expect(closed.isFinished)
    }

    @Test func liveEntryIsNotTakenOverAndHandedBackEntryIsAtOnce() throws {
        let holder = try acquire("job-1")
        try fixture.inventory.beginInstall(lease: holder, state: .rollbackIncomplete, payload: "{}")
        // Another process cannot take over the journal entry while its lease runs,
        // even if it had got the endpoint some other way.
        let live = #expect(throws: InventoryError.self) { try fixture.inventory.takeOverInstall(jobID: "job-1", lease: holder) }
        if case .installJobLeased = live {} else { Issue.record("live entry taken over: \(String(describing: live))") }

        // Released with the rollback incomplete: the entry's lease ends now, the next job recovers it at once.
        try fixture.inventory.releaseEndpointLease(holder)
        #expect(try fixture.inventory.installJob("job-1")?.leaseExpired() == true)
        let next = try acquire("job-2")
        #expect(try fixture.inventory.takeOverInstall(jobID: "job-1", lease: next).fencingToken == next.fencingToken)
    }

    @Test func heartbeatExtendsTheEndpointAndItsEntries() throws {
        let lease = try acquire("job-1", duration: 1)
        try fixture.inventory.beginInstall(lease: lease, state: .writing, payload: "{}")
        let renewed = try fixture.inventory.renewEndpointLease(lease, duration: 60)
        #expect(renewed.expiresAt > lease.expiresAt.addingTimeInterval(50))
        #expect(try fixture.inventory.installJob("job-1")?.leaseExpiresAt == renewed.expiresAt)
        usleep(1_100_000)
        #expect(try fixture.inventory.endpointLease(endpoint.id) == renewed, "still held after the first expiry")
        #expect(throws: (any Error).self) { try fixture.inventory.takeOverInstall(jobID: "job-1", lease: renewed) }
    }

    @Test func endpointWithAJobCannotBeRemoved() throws {
        let lease = try acquire("job-1")
        let busy = #expect(throws: InventoryError.self) { try fixture.inventory.removeEndpoint("web1") }
        #expect(busy == .endpointBusy(endpoint: "web1", lease: lease))
        try fixture.inventory.beginInstall(lease: lease, state: .writing, payload: "{}")
        try fixture.inventory.releaseEndpointLease(lease)
        let error = #expect(throws: InventoryError.self) { try fixture.inventory.removeEndpoint("web1") }
        #expect(error == .endpointHasUnfinishedInstall(endpoint: "web1", jobID: "job-1"))
        let next = try acquire("job-2")
        try fixture.inventory.takeOverInstall(jobID: "job-1", lease: next)
        try fixture.inventory.updateInstall(jobID: "job-1", lease: next, state: .recovered)
        try fixture.inventory.releaseEndpointLease(next)
        try fixture.inventory.removeEndpoint("web1")
    }

    @Test func payloadMustBeJSONAndEndpointMustExist() throws {
        let lease = try acquire("job-1")
        let badPayload = #expect(throws: InventoryError.self) {
            try fixture.inventory.beginInstall(lease: lease, state: .backingUp, payload: "{not json")
        }
        #expect(badPayload?.description.hasPrefix("install payload: is not valid JSON") == true)
        let missing = UUID().uuidString.lowercased()
        let noEndpoint = #expect(throws: InventoryError.self) {
            try fixture.inventory.acquireEndpointLease(endpointID: missing, jobID: "job-9", kind: "install", owner: owner, duration: 30)
        }
        #expect(noEndpoint == .endpointNotFound(missing))
    }
}

@Suite struct JobOwnershipMigrationTests {
    @Test func entryLeftUnfinishedBeforeOwnershipIsRecoverableAtOnce() throws {
        let directory = try TemporaryDirectory("og-inventory")
        let path = directory.file("inventory.sqlite")
        let endpoint = InventoryFixture.endpoint("web1")
        do {
            let queue = try DatabaseQueue(path: path)
            try InventorySchema.migrator.migrate(queue, upTo: "acme-issuers-and-orders")
            try queue.write { db in
                try endpoint.insert(db)
                try db.execute(sql: """
                    INSERT INTO installJournal (jobID, endpointID, state, payload, startedAt, updatedAt)
                    VALUES ('old-job', ?, 'written', '{}', ?, ?)
                    """, arguments: [endpoint.id, Date(), Date()])
            }
        }
        let inventory = try SQLiteInventory(path: path)
        let entry = try #require(try inventory.installJob("old-job"))
        #expect(entry.leaseExpired() && entry.ownerPID == 0 && entry.fencingToken == 0, "no owner is alive")
        let owner = JobOwner.current(gatewayID: try inventory.gatewayID())
        guard case .acquired(let lease, nil) = try inventory.acquireEndpointLease(
            endpointID: endpoint.id, jobID: "recovery", kind: "recover", owner: owner, duration: 30) else {
            Issue.record("endpoint not free")
            return
        }
        let taken = try inventory.takeOverInstall(jobID: "old-job", lease: lease)
        #expect(taken.owner == owner && taken.typedState == .written)
    }
}
