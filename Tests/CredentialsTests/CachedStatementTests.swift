import Foundation
import GRDB
@testable import OGInventory
import OGTestSupport
import Testing

/// The job write path reads the lease and the journal through statements kept
/// for the life of the connection (`CachedStatements.swift`). A job worker
/// keeps its connection while another og-host may change the schema under it
/// (an upgrade's migration), so a kept statement must read the right values
/// after the table changed shape.
@Suite struct CachedStatementTests {
    @Test func keptStatementsReadTheRightColumnsAfterAnotherConnectionRebuiltTheTables() throws {
        let fixture = try InventoryFixture()
        // A second opening of the (now WAL) file: one connection for reads and writes, as in a job worker.
        let worker = try SQLiteInventory(path: fixture.path)
        let endpoint = try worker.addEndpoint(InventoryFixture.endpoint("web1"))
        let owner = JobOwner.current(gatewayID: try worker.gatewayID())
        guard case .acquired(let lease, nil) = try worker.acquireEndpointLease(
            endpointID: endpoint.id, jobID: "job-1", kind: "install", owner: owner, duration: 30) else {
            Issue.record("endpoint busy")
            return
        }
        try worker.beginInstall(lease: lease, state: .backingUp, payload: #"{"a":1}"#)
        let writing = try worker.updateInstall(jobID: "job-1", lease: lease, state: .writing, payload: #"{"a":2}"#)

        // Another connection rebuilds both tables with their columns in another order and one more column
        // first, as a migration that rebuilds a table would.
        let other = try DatabaseQueue(path: fixture.path)
        try other.write { db in
            for table in ["installJournal", "endpointLease"] {
                let columns = try db.columns(in: table).map(\.name)
                let reordered = ["'added' AS addedFirst"] + columns.reversed()
                try db.execute(sql: "ALTER TABLE \(table) RENAME TO \(table)Old")
                try db.execute(sql: "CREATE TABLE \(table) AS SELECT \(reordered.joined(separator: ", ")) FROM \(table)Old")
                try db.execute(sql: "DROP TABLE \(table)Old")
            }
        }
        try other.close()

        #expect(try worker.installJob("job-1") == writing)
        #expect(try worker.endpointLease(endpoint.id) == lease)
        let written = try worker.updateInstall(jobID: "job-1", lease: lease, state: .written)
        #expect(written.jobID == "job-1" && written.endpointID == endpoint.id && written.typedState == .written)
        #expect(written.payload == #"{"a":2}"# && written.fencingToken == lease.fencingToken && written.owner == owner)
        #expect(written.startedAt == writing.startedAt && !written.isFinished)
        #expect(try worker.unfinishedInstalls(endpointID: endpoint.id) == [written])
        let renewed = try worker.renewEndpointLease(lease, duration: 60)
        #expect(renewed.jobID == "job-1" && renewed.fencingToken == lease.fencingToken && renewed.owner == owner)
        let done = try worker.updateInstall(jobID: "job-1", lease: renewed, state: .succeeded)
        #expect(done.isFinished && done.payload == #"{"a":2}"#)
        try worker.releaseEndpointLease(renewed)
        #expect(try worker.endpointLease(endpoint.id) == nil)
    }
}
