import OGPluginABI
import Testing
@testable import OGPluginKit

/// What the kit does with the C inputs of an operation: well-formed ones
/// arrive as Swift values, malformed ones are refused with a message, never a crash.
@Suite struct SlotInputTests {
    let table: og_plugin_api
    let inputs = SlotInputs()

    init() throws {
        table = try Loaded.table(ProbePlugin.self).pointee
    }

    private func testConnection(_ endpoint: UnsafePointer<og_endpoint>?) -> (og_status, FakeCall) {
        let call = FakeCall()
        let status = call.perform { table.test_connection!($0, endpoint) }
        return (status, call)
    }

    @Test func endpointArrivesAsASwiftValue() {
        let endpoint = inputs.endpoint(type: "probe", options: [("path", "/srv/a b.pem"), ("count", "2")],
                                       connectionType: OG_CONN_SSH, name: "web-1")
        endpoint.pointee.host = inputs.arena.text("gw.example.test")
        endpoint.pointee.port = 2222
        let (status, call) = testConnection(endpoint)
        #expect(status == OG_OK)
        #expect(call.logs.map(\.message) == [
            "testConnection type=probe name=web-1 connection=ssh platform=0 host=gw.example.test port=2222 "
                + "options=count=2,path=/srv/a b.pem",
        ])
        #expect(call.logs.first?.level == 3)
    }

    @Test func invalidUTF8InAnOptionValueIsRefusedNamingTheOption() {
        let endpoint = inputs.endpoint(type: "probe", options: [("path", "x")])
        let option = UnsafeMutablePointer(mutating: endpoint.pointee.options!)
        option.pointee.value = inputs.rawText([0x2F, 0xC3, 0x28, 0xFF])
        let (status, call) = testConnection(endpoint)
        #expect(status == OG_ERR_INVALID_ARGUMENT)
        #expect(call.errors == [.init(field: "path",
                                      message: "is not valid UTF-8; every text crossing the plugin ABI must be UTF-8")])
    }

    @Test func invalidUTF8InTheTypeNameIsRefused() {
        let endpoint = inputs.endpoint(type: "probe")
        endpoint.pointee.type = inputs.rawText([0x70, 0xED, 0xA0, 0x80]) // an encoded surrogate
        let (status, call) = testConnection(endpoint)
        #expect(status == OG_ERR_INVALID_ARGUMENT)
        #expect(call.errors.map(\.field) == ["endpoint.type"])
    }

    @Test func nullPointerWithALengthIsRefused() {
        let endpoint = inputs.endpoint(type: "probe")
        endpoint.pointee.name = og_str(ptr: nil, len: 5)
        let (status, call) = testConnection(endpoint)
        #expect(status == OG_ERR_INVALID_ARGUMENT)
        #expect(call.errors == [.init(field: "endpoint.name",
                                      message: "is a NULL text with length 5; a NULL pointer needs length 0")])
    }

    @Test(arguments: [Int.max, -1, HostMemory.maximumElementCount + 1])
    func impossibleOptionCountsAreRefused(count: Int) {
        let endpoint = inputs.endpoint(type: "probe", options: [("path", "/x")])
        endpoint.pointee.option_count = count
        let (status, call) = testConnection(endpoint)
        #expect(status == OG_ERR_INVALID_ARGUMENT)
        #expect(call.errors.map(\.field) == ["endpoint.options"])
        #expect(call.errors.first?.message.contains("the length is corrupt") == true)
    }

    @Test func oversizedTextLengthIsRefusedBeforeReading() {
        let endpoint = inputs.endpoint(type: "probe", options: [("path", "/x")])
        let option = UnsafeMutablePointer(mutating: endpoint.pointee.options!)
        option.pointee.value.len = HostMemory.maximumTextLength + 1 // the real buffer holds 2 bytes
        let (status, call) = testConnection(endpoint)
        #expect(status == OG_ERR_INVALID_ARGUMENT)
        #expect(call.errors.map(\.field) == ["path"])
    }

    @Test func fieldsBeyondTheDeclaredStructSizeAreNeverRead() {
        let endpoint = inputs.endpoint(type: "probe", name: "old-host")
        // An older host's shorter struct: what lies beyond it is not ours to read, here deliberately garbage.
        endpoint.pointee.struct_size = UInt32(MemoryLayout<og_endpoint>.offset(of: \.options)!)
        endpoint.pointee.options = UnsafePointer(bitPattern: 0x10)
        endpoint.pointee.option_count = 3
        let (status, call) = testConnection(endpoint)
        #expect(status == OG_OK)
        #expect(call.logs.map(\.message).first?.hasSuffix("name=old-host connection=local platform=0 host= port=nil options=") == true)
    }

    @Test func structTooSmallToHoldTheTypeIsRefused() {
        let endpoint = inputs.endpoint(type: "probe")
        endpoint.pointee.struct_size = 4
        let (status, call) = testConnection(endpoint)
        #expect(status == OG_ERR_INVALID_ARGUMENT)
        #expect(call.errors.map(\.field) == ["endpoint.type"])
    }

    @Test func malformedEndpointsAreRefusedNamingTheInput() {
        let (nullStatus, nullCall) = testConnection(nil)
        #expect(nullStatus == OG_ERR_INVALID_ARGUMENT)
        #expect(nullCall.errors.map(\.field) == ["endpoint"])

        let twoConnections = inputs.endpoint(type: "probe", connectionType: OG_CONN_LOCAL | OG_CONN_SSH)
        let (twoStatus, twoCall) = testConnection(twoConnections)
        #expect(twoStatus == OG_ERR_INVALID_ARGUMENT)
        #expect(twoCall.errors.map(\.field) == ["endpoint.connection_type"])

        let repeated = inputs.endpoint(type: "probe", options: [("path", "/a"), ("path", "/b")])
        let (repeatedStatus, repeatedCall) = testConnection(repeated)
        #expect(repeatedStatus == OG_ERR_INVALID_ARGUMENT)
        #expect(repeatedCall.errors == [.init(field: "path", message: "is given twice; an endpoint has one value per option")])

        let foreign = inputs.endpoint(type: "nginx")
        let (foreignStatus, foreignCall) = testConnection(foreign)
        #expect(foreignStatus == OG_ERR_INVALID_ARGUMENT)
        #expect(foreignCall.errors.first?.message.hasPrefix("'nginx' is not served by this plugin (it serves ") == true)
        #expect(foreignCall.errors.first?.message.contains("probe") == true)
    }

    @Test func installRequestArrivesAsASwiftValue() throws {
        let call = FakeCall()
        var plan: UnsafeMutablePointer<og_install_plan>?
        let status = call.perform {
            table.plan_install!($0, inputs.endpoint(type: "probe"),
                                inputs.request(nodeID: "node-1", alias: "site", commonName: "a.test", chainLength: 2, isDryRun: true),
                                &plan)
        }
        #expect(status == OG_OK)
        #expect(call.logs.map(\.message) == ["plan node-1 site a.test [\"a.test\"] chain=2 dry=true"])
        table.release!(plan)
    }

    @Test func malformedInstallRequestsAreRefused() {
        var plan: UnsafeMutablePointer<og_install_plan>?
        let nullCall = FakeCall()
        #expect(nullCall.perform { table.plan_install!($0, inputs.endpoint(type: "probe"), nil, &plan) } == OG_ERR_INVALID_ARGUMENT)
        #expect(nullCall.errors.map(\.field) == ["request"])

        let request = inputs.request()
        request.pointee.certificate = nil
        let noCertificateCall = FakeCall()
        #expect(noCertificateCall.perform { table.plan_install!($0, inputs.endpoint(type: "probe"), request, &plan) }
            == OG_ERR_INVALID_ARGUMENT)
        #expect(noCertificateCall.errors.map(\.field) == ["request.certificate"])

        let badName = inputs.request()
        let certificate = UnsafeMutablePointer(mutating: badName.pointee.certificate!)
        certificate.pointee.dns_names = nil
        certificate.pointee.dns_name_count = 2
        let badNameCall = FakeCall()
        #expect(badNameCall.perform { table.plan_install!($0, inputs.endpoint(type: "probe"), badName, &plan) }
            == OG_ERR_INVALID_ARGUMENT)
        #expect(badNameCall.errors.map(\.field) == ["request.certificate.dns_names"])
        #expect(plan == nil)
    }

    @Test func activationWithoutARequestMeansRestoredFiles() {
        let call = FakeCall()
        #expect(call.perform { table.activate!($0, inputs.endpoint(type: "probe"), nil) } == OG_OK)
        #expect(call.perform { table.activate!($0, inputs.endpoint(type: "probe"), inputs.request(commonName: "b.test")) } == OG_OK)
        #expect(call.logs.map(\.message) == ["activate request=nil", "activate request=b.test"])
    }

    @Test func missingOutParameterOrCallIsRefused() {
        let call = FakeCall()
        #expect(call.perform { table.discover_nodes!($0, inputs.endpoint(type: "probe"), nil) } == OG_ERR_INVALID_ARGUMENT)
        #expect(call.errors.map(\.field) == ["out"])
        // With no call there is nowhere to report; the status alone must say it.
        #expect(table.test_connection!(nil, inputs.endpoint(type: "probe")) == OG_ERR_INVALID_ARGUMENT)
    }
}
