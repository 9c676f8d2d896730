import Foundation
import OGBasics
import OGConformance
@testable import OGPlugins
import OGPluginABI
import OGTestSupport
import Testing

/// ABI 1.1 is append-only: a plugin built against the 1.0 header (kept verbatim in
/// Tests/Fixtures/plugins/abi-1.0) still loads under this host and passes every
/// conformance check, with its smaller structs read as 1.0 structs.
@Suite struct ABICompatibilityTests {
    @Test func aPluginBuiltAgainstABI10LoadsAndPassesUnderThisHost() throws {
        let directory = try TemporaryDirectory("og-abi10")
        let library = "\(directory.path)/libog-plugin-complete.so"
        let fixtures = ConformanceFixtures.sourceDirectory
        // The 1.0 header comes first on the include path, so complete.c is built exactly as a 1.0 author built it.
        let built = try ProcessRunner.run("cc", ["-std=c11", "-Wall", "-Wextra", "-Werror", "-I", fixtures + "/abi-1.0", "-I", fixtures,
                                                 "-shared", "-fPIC", "-o", library, fixtures + "/complete.c"])
        try #require(built.exitStatus == 0, "complete.c did not compile against the 1.0 header: \(built.standardErrorText)")

        let loaded = try PluginLibrary.load(library)
        #expect(loaded.negotiatedMinor == 0, "the plugin answers with the minor it was built for")
        #expect(loaded.info.sdkMinor == 0)

        let report = ConformanceRunner.run(pluginPath: library, executable: try ConformanceFixtures.ogHost())
        #expect(report.isSuccess, "\(report.text)")
        #expect(report.skipped == 0, "every slot ran: \(report.text)")
    }

    /// complete.c built against `header` (nil = this SDK's) in `directory`.
    func buildComplete(_ directory: TemporaryDirectory, header: String?) throws -> String {
        let library = "\(directory.path)/libog-plugin-complete.so"
        let fixtures = ConformanceFixtures.sourceDirectory
        let include = header.map { ["-I", fixtures + "/" + $0] } ?? ["-I", BuiltProducts.repositoryRoot + "/SDK/include"]
        let built = try ProcessRunner.run("cc", ["-std=c11", "-Wall", "-Wextra", "-Werror"] + include + ["-I", fixtures,
                                                 "-shared", "-fPIC", "-o", library, fixtures + "/complete.c"])
        try #require(built.exitStatus == 0, "complete.c did not compile against \(header ?? "the SDK header"): \(built.standardErrorText)")
        return library
    }

    /// ABI 1.2 appended one host service (attest_old_configuration_retired). A plugin built
    /// against the 1.1 header negotiates 1.1, passes every check, and cannot state the old
    /// configuration retired, so its installs keep the settle window; the same source built
    /// against 1.2 states it from activate.
    @Test func aPluginBuiltAgainstABI11NegotiatesOneOneAndNeverStatesRetirement() throws {
        let older = try TemporaryDirectory("og-abi11")
        let oneOne = try PluginLibrary.load(try buildComplete(older, header: "abi-1.1"))
        #expect(oneOne.negotiatedMinor == 1, "the plugin answers with the minor it was built for")
        #expect(oneOne.info.sdkMinor == 1)
        let report = ConformanceRunner.run(pluginPath: "\(older.path)/libog-plugin-complete.so", executable: try ConformanceFixtures.ogHost())
        #expect(report.isSuccess, "\(report.text)")
        #expect(report.skipped == 0, "every slot ran: \(report.text)")
        let endpoint = EndpointConfig(type: "fixture_store", name: "abi", connectionType: .local, host: "", port: 0,
                                      options: [("store_dir", "/tmp")])
        #expect(try oneOne.activate(endpoint, request: nil, services: ReloadSucceeds()).oldConfigurationRetired == false)

        let current = try TemporaryDirectory("og-abi12")
        let oneTwo = try PluginLibrary.load(try buildComplete(current, header: nil))
        #expect(oneTwo.negotiatedMinor == UInt16(OG_ABI_MINOR))
        #expect(try oneTwo.activate(endpoint, request: nil, services: ReloadSucceeds()).oldConfigurationRetired == true)
    }

    /// The host takes the statement only inside activate; anywhere else it is refused with a reason.
    @Test func theRetirementStatementCountsOnlyInsideActivate() throws {
        let service = try #require(HostServicesTable.shared.pointee.attest_old_configuration_retired)
        let activate = PluginCall(services: nil, slot: "activate")
        #expect(activate.withHandle { service($0) } == OG_OK)
        #expect(activate.oldConfigurationRetired && activate.misplacedRetirementStatements == 0)
        let configTest = PluginCall(services: nil, slot: "config_test")
        #expect(configTest.withHandle { service($0) } == OG_ERR_NOT_SUPPORTED)
        #expect(!configTest.oldConfigurationRetired && configTest.misplacedRetirementStatements == 1)
        #expect(configTest.errors.first?.message.contains("only during activate") == true, "\(configTest.errors)")
    }
}

/// An endpoint whose every command succeeds: enough for a fixture's activate.
private final class ReloadSucceeds: PluginHostServices, @unchecked Sendable {
    func log(_ level: PluginLogLevel, _ message: String) {}
    func run(_ argv: [String], standardInput: [UInt8], timeoutMilliseconds: UInt32, privileged: Bool) throws(ServiceFailure) -> CommandOutput {
        CommandOutput(exitStatus: 0, standardOutput: [], standardError: [])
    }
    func readFile(_ path: String) throws(ServiceFailure) -> [UInt8] { throw ServiceFailure(.notFound, "\(path): no files here") }
    func stat(_ path: String) throws(ServiceFailure) -> FileStatusInfo { FileStatusInfo(kind: .missing) }
    func listDirectory(_ path: String) throws(ServiceFailure) -> [String] { [] }
    func writeFile(_ path: String, contents: [UInt8], mode: UInt32) throws(ServiceFailure) {}
    func http(_ request: HTTPRequestInfo) throws(ServiceFailure) -> HTTPResponseInfo { HTTPResponseInfo(status: 404, headers: [], body: []) }
    func readKeystore(format: KeystoreFormat, data: [UInt8], passwordOption: String) throws(ServiceFailure) -> [KeystoreEntrySummary] { [] }
    func readCertificates(_ data: [UInt8]) throws(ServiceFailure) -> [CertificateSummary] { [] }
}
