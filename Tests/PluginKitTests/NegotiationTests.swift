import OGPluginABI
import Testing
@testable import OGPluginKit

@Suite struct NegotiationTests {
    @Test(arguments: [UInt16(OG_ABI_MINOR), UInt16(OG_ABI_MINOR) + 7])
    func acceptsHostOfferingTheSameOrANewerMinor(offeredMinor: UInt16) throws {
        var offer = FakeHost.shared.offer(minor: offeredMinor)
        var table: UnsafePointer<og_plugin_api>?
        #expect(PluginExport.entry(ProbePlugin.self, offer: &offer, table: &table) == OG_OK)
        let accepted = try #require(table)
        #expect(accepted.pointee.abi_major == UInt16(OG_ABI_MAJOR))
        #expect(accepted.pointee.abi_minor <= offeredMinor)
        #expect(accepted.pointee.struct_size == UInt32(MemoryLayout<og_plugin_api>.size))
    }

    @Test(arguments: [UInt16(0), UInt16(OG_ABI_MAJOR) + 1])
    func refusesAnotherMajorAndLeavesTheTableUntouched(offeredMajor: UInt16) {
        var offer = FakeHost.shared.offer(major: offeredMajor)
        let sentinel = UnsafePointer<og_plugin_api>(bitPattern: 0x5EED)
        var table = sentinel
        #expect(PluginExport.entry(ProbePlugin.self, offer: &offer, table: &table) == OG_ERR_ABI_MISMATCH)
        #expect(table == sentinel)
    }

    @Test func refusesHostOlderThanTheMinorTheKitNeeds() {
        var older = FakeHost.shared.offer(minor: 1)
        #expect(failure(Negotiation.accept(&older, requiredMinor: 2)) == OG_ERR_ABI_MISMATCH)
        var enough = FakeHost.shared.offer(minor: 2)
        let tableWithMinor2 = copyOfFakeTable { $0.abi_minor = 2 }
        defer { tableWithMinor2.deallocate() }
        enough.host = UnsafePointer(tableWithMinor2)
        #expect(failure(Negotiation.accept(&enough, requiredMinor: 2)) == nil)
    }

    @Test func refusesAServicesTableOfAnotherMajor() {
        let table = copyOfFakeTable { $0.abi_major = 2 }
        defer { table.deallocate() }
        var offer = FakeHost.shared.offer()
        offer.host = UnsafePointer(table)
        #expect(failure(Negotiation.accept(&offer)) == OG_ERR_ABI_MISMATCH)
    }

    @Test func acceptsLargerStructsFromANewerHost() {
        // A newer host appends slots: its struct is bigger than the one this SDK knows.
        let size = MemoryLayout<og_host_api>.size + 64
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<og_host_api>.alignment)
        defer { raw.deallocate() }
        raw.initializeMemory(as: UInt8.self, repeating: 0xAB, count: size)
        let table = raw.bindMemory(to: og_host_api.self, capacity: 1)
        table.pointee = FakeHost.shared.table.pointee
        table.pointee.struct_size = UInt32(size)
        table.pointee.abi_minor = 9
        var offer = FakeHost.shared.offer(minor: 9)
        offer.host = UnsafePointer(table)
        #expect(failure(Negotiation.accept(&offer)) == nil)
    }

    @Test func refusesIncompleteOffersAsInvalidArguments() {
        var table: UnsafePointer<og_plugin_api>?
        #expect(PluginExport.entry(ProbePlugin.self, offer: nil, table: &table) == OG_ERR_INVALID_ARGUMENT)
        var offer = FakeHost.shared.offer()
        #expect(PluginExport.entry(ProbePlugin.self, offer: &offer, table: nil) == OG_ERR_INVALID_ARGUMENT)

        var withoutHost = FakeHost.shared.offer()
        withoutHost.host = nil
        #expect(failure(Negotiation.accept(&withoutHost)) == OG_ERR_INVALID_ARGUMENT)

        var tooShortForHost = FakeHost.shared.offer()
        tooShortForHost.struct_size = UInt32(MemoryLayout<og_host_offer>.offset(of: \.host)!)
        #expect(failure(Negotiation.accept(&tooShortForHost)) == OG_ERR_INVALID_ARGUMENT)

        // A services table that ends before set_error leaves the kit no way to report errors.
        let truncated = copyOfFakeTable { $0.struct_size = UInt32(MemoryLayout<og_host_api>.offset(of: \.set_error)!) }
        defer { truncated.deallocate() }
        var offer2 = FakeHost.shared.offer()
        offer2.host = UnsafePointer(truncated)
        #expect(failure(Negotiation.accept(&offer2)) == OG_ERR_INVALID_ARGUMENT)
    }

    @Test func returnsTheSameTableOnEveryEntry() throws {
        let first = try Loaded.table(ProbePlugin.self)
        let second = try Loaded.table(ProbePlugin.self)
        #expect(first == second)
        #expect(first.pointee.describe!() == second.pointee.describe!())
    }

    private func failure(_ result: Result<HostAPI, NegotiationFailure>) -> og_status? {
        if case .failure(let failure) = result { return failure.status }
        return nil
    }

    private func copyOfFakeTable(_ change: (inout og_host_api) -> Void) -> UnsafeMutablePointer<og_host_api> {
        let table = UnsafeMutablePointer<og_host_api>.allocate(capacity: 1)
        table.initialize(to: FakeHost.shared.table.pointee)
        change(&table.pointee)
        return table
    }
}
