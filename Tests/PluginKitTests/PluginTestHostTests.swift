import Foundation
import OGBasics
import OGPluginKit
import OGPluginTesting
import OGTestSupport
import Testing

/// OGPluginTesting's PluginTestHost, the in-memory host the SDK ships for a
/// plugin's own tests, driving the C example. (Swift plugin types are driven
/// through it in the out-of-tree package InstalledSDKTests builds: in this
/// process OGPluginKit's one host table belongs to the kit's own tests.)
@Suite(.serialized) struct PluginTestHostTests {
    private let leafPEM = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"

    /// The C example through dlopen, as og-host loads it; its C helpers
    /// (og_result_*, og_pem_next, og_path_join) produce what the host reads.
    @Test func cPluginLibraryRunsAgainstInMemoryFiles() throws {
        let directory = try TemporaryDirectory("og-test-host")
        let library = directory.file("libog-plugin-hello-c.so")
        let compiled = try BuiltProducts.compileCPlugin(source: BuiltProducts.repositoryRoot + "/SDK/examples/hello-c/hello_c.c", output: library)
        try #require(compiled.exitStatus == 0, "\(compiled.standardErrorText)")
        let host = PluginTestHost()
        host.files["/srv/site/server.crt"] = Array(("# comment\n-----BEGIN PRIVATE KEY-----\nKKKK\n-----END PRIVATE KEY-----\n" + leafPEM).utf8)
        let plugin = try host.load(library: library)
        let endpoint = Endpoint(type: "pem_dir", name: "t", connectionType: .local, options: ["cert_dir": "/srv/site/"])
        let nodes = try plugin.discoverNodes(endpoint)
        #expect(nodes.map(\.id) == ["server"])
        #expect(nodes.first?.certificatePath == "/srv/site/server.crt")
        #expect(nodes.first?.certificate == Array(leafPEM.utf8), "the key block in the .crt is skipped")

        let plan = try plugin.planInstall(endpoint, request: InstallRequest(certificate: CertificateInfo(subject: "CN=x")))
        #expect(plan.changes.map(\.path) == ["/srv/site/server.crt", "/srv/site/server.key"])
        #expect(plan.changes.map(\.content) == [.fullChainPEM, .privateKeyPEM])

        let failure = try #require(throws: PluginTestFailure.self) { try plugin.configTest(endpoint) }
        #expect(failure.messages == ["--cert_dir: /srv/site/server.key is missing or empty; install a certificate first"])
        host.files["/srv/site/server.key"] = Array("key".utf8)
        try plugin.configTest(endpoint)
    }
}
