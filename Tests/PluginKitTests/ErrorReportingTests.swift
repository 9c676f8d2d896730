import Foundation
import OGPluginABI
import Testing
import OGTestSupport
@testable import OGPluginKit

/// How a thrown error becomes set_error plus a status.
@Suite struct ErrorReportingTests {
    let table: og_plugin_api
    let inputs = SlotInputs()

    init() throws {
        table = try Loaded.table(ProbePlugin.self).pointee
    }

    private func validate(_ options: [(String, String)]) -> (og_status, FakeCall) {
        let call = FakeCall()
        let status = call.perform { table.validate_endpoint!($0, inputs.endpoint(type: "probe", options: options)) }
        return (status, call)
    }

    @Test func thrownPluginErrorReachesSetErrorWithItsField() {
        let (status, call) = validate([("behaviour", "plugin-error")])
        #expect(status == OG_ERR_CONFLICT)
        #expect(call.errors == [.init(field: "path", message: "is already managed by another tool; remove it first")])
    }

    @Test func vendorStatusCrossesAboveTheVendorBase() {
        let (status, call) = validate([("behaviour", "vendor-error")])
        #expect(status == OG_ERR_VENDOR_BASE + 3)
        #expect(call.errors == [.init(field: "", message: "the vendor API refused")])
    }

    @Test func anyOtherSwiftErrorIsAnInternalErrorWithItsDescription() {
        let (status, call) = validate([("behaviour", "swift-error")])
        #expect(status == OG_ERR_INTERNAL)
        #expect(call.errors == [.init(field: "", message: "internal error: the probe failed on purpose")])
    }

    @Test func serviceErrorRethrownUnchangedIsReportedOnlyByTheHost() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.file("absent.pem")
        let (status, call) = validate([("behaviour", "service-error"), ("path", missing)])
        #expect(status == OG_ERR_NOT_FOUND)
        #expect(call.errors == [.init(field: "path", message: "\(missing) does not exist")])
    }

    @Test func pluginOwnErrorAfterAServiceFailureIsReportedToo() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.file("absent.pem")
        let (status, call) = validate([("behaviour", "service-error-wrapped"), ("path", missing)])
        #expect(status == OG_ERR_NOT_FOUND)
        #expect(call.errors == [.init(field: "path", message: "\(missing) does not exist"),
                                .init(field: "path", message: "the probe's file is missing; create it")])
    }

    @Test func configTestFailureCarriesItsOwnStatus() {
        let call = FakeCall()
        #expect(call.perform { table.config_test!($0, inputs.endpoint(type: "probe")) } == OG_ERR_CONFIG_TEST)
        #expect(call.errors == [.init(field: "path", message: "the vendor's test said no")])
    }

    @Test func invalidResultsAreInternalErrorsNamingTheDefect() {
        var nodes: UnsafeMutablePointer<og_node_list>?
        let duplicates = FakeCall()
        let endpoint = inputs.endpoint(type: "probe", options: [("behaviour", "duplicate-ids"), ("count", "2")])
        #expect(duplicates.perform { table.discover_nodes!($0, endpoint, &nodes) } == OG_ERR_INTERNAL)
        #expect(duplicates.errors.first?.message
            == "discovery returned node id 'same' twice; ids must be unique within the endpoint")

        let badPort = FakeCall()
        let portEndpoint = inputs.endpoint(type: "probe", options: [("behaviour", "bad-port"), ("count", "1")])
        #expect(badPort.perform { table.discover_nodes!($0, portEndpoint, &nodes) } == OG_ERR_INTERNAL)
        #expect(badPort.errors.first?.message
            == "node 'node-0' has port 70000, which is not between 1 and 65535; use nil for none")
        #expect(nodes == nil)
    }

    @Test func pluginErrorDescriptionNamesFieldAndStatus() {
        let error = PluginError(status: .invalidArgument, field: "port", message: "70000 is not between 1 and 65535")
        #expect(error.description == "port: 70000 is not between 1 and 65535 [INVALID_ARGUMENT]")
        #expect(!error.isReportedByHost)
    }

    @Test func typedOptionAccessorsNameTheOption() throws {
        let endpoint = Endpoint(type: "probe", name: "n", connectionType: .local,
                                options: ["count": "12x", "flag": "yes", "ok": "true", "n": "5"])
        #expect(try endpoint.integer("n") == 5)
        #expect(try endpoint.boolean("ok") == true)
        #expect(try endpoint.integerIfPresent("absent") == nil)
        for (option, expected) in [("count", "'12x' is not a decimal integer; give a number such as 443"),
                                   ("flag", "'yes' is not a boolean; give true or false"),
                                   ("absent", "option is missing; give it with --absent")] {
            do {
                if option == "flag" { _ = try endpoint.boolean(option) } else { _ = try endpoint.integer(option) }
                Issue.record("\(option) should have been refused")
            } catch let error as PluginError {
                #expect(error.field == option)
                #expect(error.message == expected)
                #expect(error.status == .invalidArgument)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}
