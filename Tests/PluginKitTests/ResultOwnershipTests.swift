import Foundation
import OGPluginABI
import Testing
@testable import OGPluginKit

/// Results belong to the plugin until the host gives them back through `release`.
@Suite struct ResultOwnershipTests {
    let table: og_plugin_api
    let inputs = SlotInputs()

    init() throws {
        table = try Loaded.table(ProbePlugin.self).pointee
    }

    private func plan() throws -> UnsafeMutablePointer<og_install_plan> {
        var plan: UnsafeMutablePointer<og_install_plan>?
        let status = FakeCall().perform { table.plan_install!($0, inputs.endpoint(type: "probe"), inputs.request(), &plan) }
        try #require(status == OG_OK)
        return try #require(plan)
    }

    @Test func discoveredNodesReadBackAsReturnedAndLiveUntilReleased() throws {
        var list: UnsafeMutablePointer<og_node_list>?
        let call = FakeCall()
        let status = call.perform { table.discover_nodes!($0, inputs.endpoint(type: "probe", options: [("count", "3")]), &list) }
        #expect(status == OG_OK)
        let nodes = try #require(list)
        #expect(nodes.pointee.struct_size == UInt32(MemoryLayout<og_node_list>.size))
        #expect(try ResultReader.nodes(nodes) == (0..<3).map {
            Node(id: "node-\($0)", name: "site\($0).test", aliases: ["www.site\($0).test"], protocolName: "https",
                 address: "127.0.0.1", port: 8443 + $0, certificatePath: "/srv/site\($0).pem",
                 certificate: Array("cert-\($0)".utf8), detail: "line \($0)")
        })
        #expect(ResultRegistry.shared.isLive(nodes))
        table.release!(nodes)
        #expect(!ResultRegistry.shared.isLive(nodes))
    }

    @Test func planCarriesEveryContentKindAndFlag() throws {
        let plan = try plan()
        defer { table.release!(plan) }
        let read = try ResultReader.plan(plan)
        #expect(read == InstallPlan(summary: "install hello.test", nodeID: "node-0", changes: ProbePlugin.everyKindOfChange,
                                    verify: [VerifyTarget(host: "127.0.0.1", port: 8443, serverName: "hello.test"),
                                             VerifyTarget(host: "::1", port: 443)]))
        let changes = UnsafeBufferPointer(start: plan.pointee.changes, count: plan.pointee.change_count)
        #expect(changes.map(\.mode) == [0o640, 0, 0, 0, 0o600, 0, 0, 0, 0])
        #expect(changes.map(\.flags) == [0, 0, 0, OG_FILE_MUST_EXIST, OG_FILE_SECRET, OG_FILE_SECRET,
                                         OG_FILE_SECRET | OG_FILE_LEGACY_PBE, OG_FILE_SECRET, OG_FILE_SECRET])
        #expect(changes.map(\.content_kind) == [OG_CONTENT_LITERAL, OG_CONTENT_CERTIFICATE_PEM, OG_CONTENT_CHAIN_PEM,
                                                OG_CONTENT_FULLCHAIN_PEM, OG_CONTENT_PRIVATE_KEY_PEM,
                                                OG_CONTENT_KEY_AND_FULLCHAIN_PEM, OG_CONTENT_KEYSTORE,
                                                OG_CONTENT_KEYSTORE, OG_CONTENT_LITERAL].map(UInt32.init))
        #expect(changes[7].keystore_format == UInt32(OG_KEYSTORE_JKS))
    }

    @Test func undoTokenCrossesIntactBothWays() throws {
        let call = FakeCall()
        var token: UnsafeMutablePointer<og_undo_token>?
        #expect(call.perform { table.apply_install!($0, inputs.endpoint(type: "probe"), inputs.request(commonName: "u.test"), &token) } == OG_OK)
        let issued = try #require(token)
        let bytes = Array(UnsafeBufferPointer(start: issued.pointee.data.ptr, count: issued.pointee.data.len))
        #expect(bytes == Array("undo:u.test".utf8) + [0, 255])
        table.release!(issued)
        // The host journals the bytes and may hand them back long after the token was released.
        let status = bytes.withUnsafeBufferPointer { buffer in
            call.perform { table.rollback_install!($0, inputs.endpoint(type: "probe"), og_bytes(ptr: buffer.baseAddress, len: buffer.count)) }
        }
        #expect(status == OG_OK)
        #expect(call.logs.last?.message == "rollback \(bytes)")
    }

    @Test func releasingAPointerTheKitDoesNotOwnIsIgnoredAndCounted() throws {
        let before = ResultRegistry.shared.unknownReleaseCount
        let plan = try plan()
        table.release!(plan)
        table.release!(plan) // twice: the second is unknown by now
        table.release!(UnsafeMutableRawPointer(bitPattern: 0xDEAD0))
        table.release!(nil) // NULL is simply ignored, as the header says
        #expect(ResultRegistry.shared.unknownReleaseCount - before == 2)
    }

    @Test func failedOperationLeavesNoResultBehind() {
        var list = UnsafeMutablePointer<og_node_list>(bitPattern: 0x5EED)
        let status = FakeCall().perform {
            table.discover_nodes!($0, inputs.endpoint(type: "probe", options: [("behaviour", "plugin-error")]), &list)
        }
        #expect(status == OG_ERR_CONFLICT)
        #expect(list == nil)
    }

    @Test func describeAndReleaseAreSafeFromManyThreadsAtOnce() throws {
        let plans = try (0..<200).map { _ in UInt(bitPattern: try plan()) }
        let describe = table.describe!
        let release = table.release!
        let expected = UInt(bitPattern: describe())
        let mismatches = Locked(0)
        DispatchQueue.concurrentPerform(iterations: plans.count) { index in
            release(UnsafeMutableRawPointer(bitPattern: plans[index]))
            if UInt(bitPattern: describe()) != expected { mismatches.withLock { $0 += 1 } }
        }
        #expect(mismatches.withLock { $0 } == 0)
        #expect(plans.allSatisfy { !ResultRegistry.shared.isLive(UnsafeRawPointer(bitPattern: $0)!) })
    }
}
