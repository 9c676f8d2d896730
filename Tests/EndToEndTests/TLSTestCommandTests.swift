import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `og-host tls test`: the one place a plugin's test_connection runs
/// (og_plugin.h). `tls add` does not run it, so an endpoint can be added
/// before the directory its first install fills exists.
@Suite struct TLSTestCommandTests {
    @Test func testRunsTheConnectionTestAndNamesWhatFailed() throws {
        let fixture = try GatewayFixture(plugins: ["hello-c"])
        let directory = try TemporaryDirectory("og-tls-test")
        let later = directory.file("created-by-first-install")
        let added = try fixture.run(["tls", "add", "pem_dir", "--name", "site", "--connection_type", "local", "--cert_dir", later])
        #expect(added.exitStatus == 0, "tls add must not run test_connection: \(added.standardErrorText)")

        let missing = try fixture.run(["tls", "test", "site"])
        #expect(missing.exitStatus != 0)
        #expect(missing.standardErrorText.contains("--cert_dir: \(later) does not exist on the endpoint"), "\(missing.standardErrorText)")

        try FileManager.default.createDirectory(atPath: later, withIntermediateDirectories: false)
        let passing = try fixture.run(["tls", "test", "site"])
        #expect(passing.exitStatus == 0, "\(passing.standardErrorText)")
        #expect(passing.standardOutputText == "Endpoint 'site' answers: hello-c test_connection passed.\n")
        let audit = try fixture.run(["audit"]).standardOutputText
        #expect(audit.contains("tls.test"))
    }
}
