import Foundation
import OGBasics
import OGConnections
@testable import OGHost
import OGPlugins
import OGTestSupport
import Testing

/// read_file_certificates (og_plugin.h, since 1.1): the host reads a file that
/// holds a private key next to its certificate and hands the plugin only the
/// parsed certificates, through the real services table and a LocalConnection.
@Suite struct FileCertificatesTests {
    @Test func pluginLearnsTheCertificateOfACombinedPEMWithoutItsBytes() throws {
        let directory = try TemporaryDirectory("og-file-certs")
        let key = directory.file("key.pem"), certificate = directory.file("cert.pem")
        let made = try ProcessRunner.run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                                     "-subj", "/CN=combined.example", "-days", "2", "-keyout", key, "-out", certificate])
        try #require(made.exitStatus == 0, "\(made.standardErrorText)")
        let combined = try LocalFiles.read(key) + LocalFiles.read(certificate)
        try LocalFiles.writeAtomically(directory.file("combined.pem"), contents: combined, mode: 0o600)

        let library = try PluginLibrary.load(try ConformanceFixtures.compile("reads-key-file", into: directory.path))
        let endpoint = EndpointConfig(type: "fixture_store", name: "combined", connectionType: .local, host: "", port: 0,
                                      options: [("store_dir", directory.path)])
        let session = EndpointSession(connection: LocalConnection(), endpoint: endpoint, secretOptions: [:])
        let nodes = try library.discoverNodes(endpoint, services: session)
        #expect(nodes.map(\.name) == ["combined.example"])

        try FileManager.default.removeItem(atPath: directory.file("combined.pem"))
        #expect(throws: PluginCallFailure.self) { _ = try library.discoverNodes(endpoint, services: session) }
    }
}
