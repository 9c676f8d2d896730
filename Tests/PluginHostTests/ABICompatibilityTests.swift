import Foundation
import OGBasics
import OGConformance
import OGPlugins
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
}
