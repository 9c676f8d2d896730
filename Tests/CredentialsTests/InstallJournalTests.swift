import Foundation
import OGInventory
import Testing

@Suite struct InstallJournalTests {
    @Test func unfinishedJobsAreListedUntilFinished() throws {
        let fixture = try InventoryFixture()
        let endpoint = try fixture.inventory.addEndpoint(InventoryFixture.endpoint("web1"))
        let job = try fixture.inventory.beginInstall(endpointID: endpoint.id, state: "planned", payload: #"{"steps":[]}"#)
        #expect(try fixture.inventory.unfinishedInstalls().map(\.jobID) == [job.jobID])

        let backup = #"{"backups":[{"path":"/etc/nginx/cert.pem","copy":"/var/backup/1"}]}"#
        let updated = try fixture.inventory.updateInstall(jobID: job.jobID, state: "backed-up", payload: backup)
        #expect(updated.state == "backed-up" && updated.payload == backup && !updated.isFinished)
        #expect(try fixture.inventory.unfinishedInstalls().first?.payload == backup)

        let finished = try fixture.inventory.finishInstall(jobID: job.jobID, state: "installed")
        #expect(finished.isFinished && finished.state == "installed")
        #expect(try fixture.inventory.unfinishedInstalls().isEmpty)
        #expect(try fixture.inventory.installJob(job.jobID) == finished)
    }

    @Test func finishedJobCannotChangeAndUnknownJobIsNamed() throws {
        let fixture = try InventoryFixture()
        let endpoint = try fixture.inventory.addEndpoint(InventoryFixture.endpoint("web1"))
        let job = try fixture.inventory.beginInstall(jobID: "job-1", endpointID: endpoint.id, state: "planned", payload: "{}")
        try fixture.inventory.finishInstall(jobID: job.jobID, state: "rolled-back")
        let again = #expect(throws: InventoryError.self) {
            try fixture.inventory.updateInstall(jobID: "job-1", state: "applied", payload: "{}")
        }
        #expect(again == .installJobFinished("job-1"))
        let unknown = #expect(throws: InventoryError.self) {
            try fixture.inventory.finishInstall(jobID: "job-2", state: "installed")
        }
        #expect(unknown == .installJobNotFound("job-2"))
        let reused = #expect(throws: InventoryError.self) {
            try fixture.inventory.beginInstall(jobID: "job-1", endpointID: endpoint.id, state: "planned", payload: "{}")
        }
        #expect(reused == .installJobIDTaken("job-1"))
    }

    @Test func endpointWithAnUnfinishedInstallCannotBeRemoved() throws {
        let fixture = try InventoryFixture()
        let endpoint = try fixture.inventory.addEndpoint(InventoryFixture.endpoint("web1"))
        let job = try fixture.inventory.beginInstall(endpointID: endpoint.id, state: "applied", payload: "{}")
        let error = #expect(throws: InventoryError.self) { try fixture.inventory.removeEndpoint("web1") }
        #expect(error == .endpointHasUnfinishedInstall(endpoint: "web1", jobID: job.jobID))
        try fixture.inventory.finishInstall(jobID: job.jobID, state: "installed")
        try fixture.inventory.removeEndpoint("web1")
    }

    @Test func payloadMustBeJSONAndEndpointMustExist() throws {
        let fixture = try InventoryFixture()
        let endpoint = try fixture.inventory.addEndpoint(InventoryFixture.endpoint("web1"))
        let badPayload = #expect(throws: InventoryError.self) {
            try fixture.inventory.beginInstall(endpointID: endpoint.id, state: "planned", payload: "{not json")
        }
        #expect(badPayload?.description.hasPrefix("install payload: is not valid JSON") == true)
        let missing = UUID().uuidString.lowercased()
        let noEndpoint = #expect(throws: InventoryError.self) {
            try fixture.inventory.beginInstall(endpointID: missing, state: "planned", payload: "{}")
        }
        #expect(noEndpoint == .endpointNotFound(missing))
    }
}
