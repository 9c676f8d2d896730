import Foundation
@testable import OGInventory
import OGTestSupport
import Testing

@Suite struct EventOutboxTests {
    struct Deployed: Encodable { var version: Int; var fingerprint: String }

    @Test func recordedEventsWaitUndeliveredOldestFirstAndSurviveReopening() throws {
        let fixture = try InventoryFixture()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try fixture.inventory.recordEvent(
            GatewayEvent(kind: .deployed, subject: "www", endpoint: "web1",
                         payload: Deployed(version: 2, fingerprint: "ab"), createdAt: start))
        let second = try fixture.inventory.recordEvent(
            GatewayEvent(kind: .renewalFailed, subject: "api", payloadJSON: #"{"error":"rate limited"}"#,
                         createdAt: start.addingTimeInterval(1)))
        #expect(first.id != nil && second.id != nil && first.id! < second.id!)
        #expect(first.payload == #"{"fingerprint":"ab","version":2}"#)

        let reopened = try SQLiteInventory(path: fixture.path)
        let waiting = try reopened.undeliveredEvents(limit: 10)
        #expect(waiting.map(\.id) == [first.id, second.id])
        #expect(waiting.map(\.kind) == [.deployed, .renewalFailed])
        #expect(waiting[0].endpoint == "web1" && waiting[1].endpoint == nil)
        #expect(try reopened.undeliveredEventCount() == 2)
        #expect(try reopened.undeliveredEvents(limit: 1).map(\.id) == [first.id])
        // Not yet due before it was created.
        #expect(try reopened.undeliveredEvents(limit: 10, dueAt: start.addingTimeInterval(-1)).isEmpty)

        #expect(try reopened.markDelivered(first.id!, at: start.addingTimeInterval(5)))
        #expect(try !reopened.markDelivered(first.id!), "a delivered event is not delivered twice")
        #expect(try reopened.undeliveredEvents(limit: 10).map(\.id) == [second.id])
        let delivered = try reopened.events(limit: 10).first { $0.id == first.id }
        #expect(delivered?.deliveredAt == start.addingTimeInterval(5))
        #expect(delivered?.nextAttemptAt == nil)
    }

    @Test func aFailedAttemptKeepsTheEventWithItsErrorChannelsAndNextAttempt() throws {
        let fixture = try InventoryFixture()
        // Whole seconds: the inventory keeps dates to the millisecond.
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let event = try fixture.inventory.recordEvent(GatewayEvent(kind: .expiring, subject: "www", createdAt: now))
        try fixture.inventory.markDeliveryFailed(event.id!, channelsDone: ["hook"], error: "webhook: HTTP 503",
                                                 retryAt: now.addingTimeInterval(60))
        #expect(try fixture.inventory.undeliveredEvents(limit: 10, dueAt: now.addingTimeInterval(30)).isEmpty)
        let due = try fixture.inventory.undeliveredEvents(limit: 10, dueAt: now.addingTimeInterval(61))
        #expect(due.count == 1)
        #expect(due.first?.attempts == 1)
        #expect(due.first?.lastError == "webhook: HTTP 503")
        #expect(due.first?.channelsDelivered == ["hook"])
        #expect(try fixture.inventory.nextEventAttempt() == now.addingTimeInterval(60))
    }

    @Test func aDedupeKeyRecordsAPersistingConditionOnce() throws {
        let fixture = try InventoryFixture()
        let key = "served-mismatch:web1:node1:aa:bb"
        let first = try fixture.inventory.recordEvent(GatewayEvent(kind: .servedMismatch, subject: "www",
                                                                   endpoint: "web1", dedupeKey: key))
        let again = try fixture.inventory.recordEvent(GatewayEvent(kind: .servedMismatch, subject: "www",
                                                                   endpoint: "web1", dedupeKey: key))
        #expect(again.id == first.id)
        #expect(try fixture.inventory.undeliveredEventCount() == 1)
    }

    @Test func aPayloadThatIsNotAJSONObjectOrAnEmptySubjectIsRefusedNamingTheField() throws {
        let fixture = try InventoryFixture()
        let payload = #expect(throws: InventoryError.self) {
            try fixture.inventory.recordEvent(GatewayEvent(kind: .deployed, subject: "www", payloadJSON: "[1]"))
        }
        #expect(payload?.description.hasPrefix("event payload:") == true)
        let subject = #expect(throws: InventoryError.self) {
            try fixture.inventory.recordEvent(GatewayEvent(kind: .deployed, subject: ""))
        }
        #expect(subject?.description.hasPrefix("event subject:") == true)
        #expect(try fixture.inventory.undeliveredEventCount() == 0)
    }

    @Test func kindsUseTheirHyphenatedNames() {
        #expect(GatewayEvent.Kind.allCases.map(\.rawValue) ==
                ["renewed", "deployed", "deploy-failed", "renewal-failed", "expiring", "served-mismatch"])
    }
}
