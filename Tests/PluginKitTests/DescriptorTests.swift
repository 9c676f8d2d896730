import OGPluginABI
import Testing
@testable import OGPluginKit

@Suite struct DescriptorTests {
    @Test func descriptorRoundTripsThroughItsCForm() throws {
        let table = try Loaded.table(ProbePlugin.self)
        let descriptor = try #require(table.pointee.describe!())
        #expect(try ResultReader.descriptor(descriptor) == ProbePlugin.descriptor)
        #expect(descriptor.pointee.sdk_major == UInt32(OG_ABI_MAJOR))
        #expect(descriptor.pointee.sdk_minor == UInt32(OG_ABI_MINOR))
        #expect(descriptor.pointee.struct_size == UInt32(MemoryLayout<og_plugin_descriptor>.size))
        let option = try #require(descriptor.pointee.types?.pointee.options)
        #expect(option[3].flags == OG_OPTION_SECRET, "store_password is secret and optional")
        #expect(option[2].min == 0 && option[2].max == 100)
    }

    @Test func describeReturnsOneImmortalPointerFromAnyThread() async throws {
        let table = try Loaded.table(ProbePlugin.self)
        let expected = UInt(bitPattern: table.pointee.describe!())
        let tableAddress = UInt(bitPattern: table)
        let seen = await withTaskGroup(of: UInt.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    let table = UnsafePointer<og_plugin_api>(bitPattern: tableAddress)!
                    return UInt(bitPattern: table.pointee.describe!())
                }
            }
            return await group.reduce(into: Set<UInt>()) { $0.insert($1) }
        }
        #expect(seen == [expected])
    }

    @Test func eachPluginTypeKeepsItsOwnDescriptor() throws {
        let probe = try Loaded.table(ProbePlugin.self)
        let minimal = try Loaded.table(MinimalPlugin.self)
        #expect(probe.pointee.describe!() != minimal.pointee.describe!())
        #expect(try ResultReader.descriptor(minimal.pointee.describe!()!) == MinimalPlugin.descriptor)
    }

    @Test func tableFillsOnlyTheSlotsThePluginImplements() throws {
        let probe = try Loaded.table(ProbePlugin.self).pointee
        #expect(probe.flags == OG_PLUGIN_THREAD_SAFE)
        #expect(probe.release != nil && probe.validate_endpoint != nil)
        #expect(probe.test_connection != nil && probe.discover_nodes != nil && probe.plan_install != nil)
        #expect(probe.config_test != nil && probe.activate != nil && probe.restart != nil)
        #expect(probe.apply_install != nil && probe.rollback_install != nil)

        let minimal = try Loaded.table(MinimalPlugin.self).pointee
        #expect(minimal.flags == 0)
        #expect(minimal.describe != nil && minimal.release != nil && minimal.validate_endpoint != nil)
        #expect(minimal.test_connection == nil && minimal.discover_nodes == nil && minimal.plan_install == nil)
        #expect(minimal.config_test == nil && minimal.activate == nil && minimal.restart == nil)
        #expect(minimal.apply_install == nil && minimal.rollback_install == nil && minimal.shutdown == nil)
    }

    @Test func pluginAdvertisingACapabilityItLacksIsRefused() {
        var offer = FakeHost.shared.offer()
        var table: UnsafePointer<og_plugin_api>?
        #expect(PluginExport.entry(OverclaimingPlugin.self, offer: &offer, table: &table) == OG_ERR_INTERNAL)
        #expect(table == nil)
        #expect(PluginExport.problems(in: OverclaimingPlugin.self)
            == ["endpoint type 'overclaiming': advertises discover but the plugin does not conform to NodeDiscovering; "
                + "conform or drop the capability"])
    }

    @Test func descriptorProblemsNameEveryDefect() {
        let problems = PluginExport.problems(in: DefectivePlugin.self)
        let expected = [
            "plugin name 'Defective Plugin'",
            "plugin version: is empty",
            "endpoint type 'Bad-Type': use 1 to 32 of a-z 0-9 _",
            "endpoint type 'Bad-Type': allows no connection type",
            "advertises verifyServed without install",
            "option 'port': the host owns this option",
            "option 'level': minimum 10 is above maximum 1",
            "option 'level': default 'x' is not a decimal integer",
            "option 'colour': help is empty",
            "option 'colour': an enumeration needs at least one allowed value",
            "option 'colour': declared twice",
            "option 'colour': default 'yes' is neither true nor false",
            "endpoint type 'twice': declared twice",
        ]
        for fragment in expected {
            #expect(problems.contains { $0.contains(fragment) }, "no problem mentions \"\(fragment)\" in \(problems)")
        }
        #expect(problems.count == expected.count)
    }

    @Test func limitsThatMeanNoLimitReadBackAsNil() {
        let text = OptionSchema(name: "a", kind: .string, minimum: 0, maximum: 0, help: "h")
        #expect(text.minimum == nil && text.maximum == nil)
        #expect(text.encodedLimits == (0, 0))
        let number = OptionSchema(name: "b", kind: .integer, minimum: .min, maximum: 0, help: "h")
        #expect(number.minimum == nil && number.maximum == 0)
        #expect(number.encodedLimits == (.min, 0))
        #expect(OptionSchema(name: "c", kind: .integer, help: "h").encodedLimits == (.min, .max))
    }

    @Test func connectionTypesUseTheOperatorsSpellings() {
        #expect(ConnectionTypes(spelling: "winrm_https_insecure") == .winrmHTTPSInsecure)
        #expect(ConnectionTypes(spelling: "telnet") == nil)
        #expect(ConnectionTypes([.local, .ssh, .restInsecure]).spelledNames == ["local", "ssh", "rest_insecure"])
        #expect(ConnectionTypes(rawValue: OG_CONN_SSH | 0x100).description == "ssh,0x100")
        #expect(ConnectionTypes.spellings.count == 8)
    }

    @Test func statusesMirrorTheHeaderCodes() {
        let pairs: [(Status, Int32)] = [
            (.invalidArgument, OG_ERR_INVALID_ARGUMENT), (.notSupported, OG_ERR_NOT_SUPPORTED),
            (.notFound, OG_ERR_NOT_FOUND), (.io, OG_ERR_IO), (.connect, OG_ERR_CONNECT), (.auth, OG_ERR_AUTH),
            (.identity, OG_ERR_IDENTITY), (.commandFailed, OG_ERR_COMMAND_FAILED), (.timeout, OG_ERR_TIMEOUT),
            (.parse, OG_ERR_PARSE), (.conflict, OG_ERR_CONFLICT), (.abiMismatch, OG_ERR_ABI_MISMATCH),
            (.noMemory, OG_ERR_NO_MEMORY), (.internal, OG_ERR_INTERNAL), (.configTest, OG_ERR_CONFIG_TEST),
            (.vendor(0), OG_ERR_VENDOR_BASE), (.vendor(7), OG_ERR_VENDOR_BASE + 7), (.unrecognized(99), 99),
        ]
        for (status, code) in pairs {
            #expect(status.code == code)
            #expect(Status(code: code) == status)
        }
        #expect(Status(code: OG_OK) == nil)
        #expect(Status.vendor(-4).code == OG_ERR_VENDOR_BASE)
    }
}
