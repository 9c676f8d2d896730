import Foundation
import OGBasics
@testable import OGHost
import OGTestSupport
import Testing

/// `CertificateDeployService` driven the way the CLI, renewal and the daemon
/// drive it: one certificate bound to two PEM endpoints (the keystore plugin)
/// and to an endpoint whose plugin segfaults in activate after the host wrote
/// its file. Every endpoint job runs in its own child og-host; the crash fails
/// that endpoint alone, is recovered in another child, and the deploy (this
/// process) goes on and reports `partial`.
@Suite struct CertificateDeployServiceTests {
    let directory: TemporaryDirectory
    let gateway: Gateway
    let service: CertificateDeployService
    let environment: [String: String]

    init() throws {
        directory = try TemporaryDirectory("og-deploy")
        chmod(directory.path, 0o755)
        let plugins = directory.file("plugins.d")
        let keystore = try BuiltProducts.stagePlugin("keystore", into: plugins)
        let crashing = try ConformanceFixtures.compile("crash-activate", into: plugins)
        chmod(crashing, 0o755)
        let environment = ["OG_DATA_DIR": directory.file("data"), "OG_PLUGIN_PATH": plugins]
        self.environment = environment
        let directory = self.directory
        func run(_ arguments: [String]) throws { try Self.run(arguments, environment: environment) }
        try run(["plugins", "manifest", keystore, crashing])

        // A CA and a certificate for the gateway's vault.
        let pki = directory.file("pki")
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        try Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(pki)/ca.key",
                          "-out", "\(pki)/ca.pem", "-days", "30", "-subj", "/CN=og-deploy-test CA",
                          "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"])
        try Self.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(pki)/site.key",
                          "-out", "\(pki)/site.csr", "-subj", "/CN=site.example.test"])
        try LocalFiles.writeAtomically("\(pki)/site.ext", contents: Array("subjectAltName=DNS:site.example.test\n".utf8))
        try Self.openssl(["x509", "-req", "-in", "\(pki)/site.csr", "-CA", "\(pki)/ca.pem", "-CAkey", "\(pki)/ca.key",
                          "-CAcreateserial", "-out", "\(pki)/site.pem", "-days", "10", "-extfile", "\(pki)/site.ext"])
        try run(["ca", "add", "\(pki)/ca.pem"])
        try run(["cert", "import", "--cert", "\(pki)/site.pem", "--key", "\(pki)/site.key", "--name", "site"])

        for name in ["pem1", "pem2"] {
            try FileManager.default.createDirectory(atPath: directory.file(name), withIntermediateDirectories: true)
            try LocalFiles.writeAtomically(directory.file("\(name)/cert.pem"), contents: [])
            try run(["tls", "add", "pem", "--name", name, "--connection_type", "local",
                     "--path", directory.file("\(name)/cert.pem"), "--key_path", directory.file("\(name)/key.pem")])
        }
        try FileManager.default.createDirectory(atPath: directory.file("store"), withIntermediateDirectories: true)
        try LocalFiles.writeAtomically(directory.file("store/fullchain.pem"), contents: Array("the previous chain\n".utf8))
        try run(["tls", "add", "fixture_store", "--name", "crashy", "--connection_type", "local", "--store_dir", directory.file("store")])

        gateway = try Gateway(dataDirectory: directory.file("data"), pluginDirectories: [plugins],
                              describer: ChildProcessDescriber.make(executable: try ConformanceFixtures.ogHost()))
        service = try CertificateDeployService(gateway: gateway,
                                               launcher: EndpointJobLauncher(gateway: gateway, executable: try ConformanceFixtures.ogHost(),
                                                                             timeout: .seconds(120)))
        let catalog = EndpointCatalog(gateway: gateway)
        for name in ["pem1", "pem2", "crashy"] {
            try gateway.inventory().bind(lineage: "site", endpointID: try catalog.find(name).id, node: "", alias: nil)
        }
    }

    static func run(_ arguments: [String], environment: [String: String]) throws {
        let output = try BuiltProducts.runOGHost(arguments, environment: environment)
        try #require(output.exitStatus == 0, "og-host \(arguments.prefix(2).joined(separator: " ")): \(output.standardErrorText)")
    }

    static func openssl(_ arguments: [String]) throws {
        let output = try ProcessRunner.run("openssl", arguments)
        try #require(output.exitStatus == 0, "openssl \(arguments.first ?? ""): \(output.standardErrorText)")
    }

    /// Collects what the deploy reports from its worker threads.
    final class Events: @unchecked Sendable {
        private let lock = Locked()
        private var items: [DeployEvent] = []
        func add(_ event: DeployEvent) { lock.withLock { items.append(event) } }
        var all: [DeployEvent] { lock.withLock { items } }
    }

    @Test func aCrashingEndpointFailsAloneIsRecoveredAndTheRestIsDeployed() throws {
        try LocalFiles.writeAtomically(directory.file("store/crash-next"), contents: Array("x".utf8))
        let events = Events()
        let report = try service.deploy(name: "site", parallel: 3, progress: { events.add($0) })
        let rows = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.endpoint, $0) })
        #expect(report.rows.map(\.endpoint) == ["crashy", "pem1", "pem2"])
        #expect(rows["pem1"]?.outcome == .installed, "\(rows["pem1"]?.message ?? "")")
        #expect(rows["pem2"]?.outcome == .installed, "\(rows["pem2"]?.message ?? "")")
        let crashed = try #require(rows["crashy"])
        #expect(crashed.outcome == .rolledBack, "\(crashed.message)")
        #expect(crashed.category == .endpointRolledBack)
        #expect(crashed.signal == SIGSEGV)
        #expect(crashed.message.contains("plugin 'crash-activate' (type fixture_store) crashed"), "\(crashed.message)")
        #expect(crashed.message.contains("signal 11 (SIGSEGV)"), "\(crashed.message)")
        #expect(crashed.message.contains("recovered in a new process"), "\(crashed.message)")
        #expect(report.category == .partial)
        #expect(report.succeeded == 2)

        // What the crash left half-written is restored; the others hold the certificate.
        #expect(try LocalFiles.read(directory.file("store/fullchain.pem")) == Array("the previous chain\n".utf8))
        let site = try LocalFiles.read(directory.file("pki/site.pem"))
        for name in ["pem1", "pem2"] {
            #expect(String(decoding: try LocalFiles.read(directory.file("\(name)/cert.pem")), as: UTF8.self)
                .contains(String(decoding: site, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        #expect(try gateway.inventory().unfinishedInstalls().isEmpty, "no journal entry is left open")

        // Progress came from the workers: the plan, each job's lines, one end per endpoint.
        let seen = events.all
        #expect(seen.contains { if case .planned(let names) = $0 { return names == ["crashy", "pem1", "pem2"] }; return false })
        #expect(seen.filter { if case .finished = $0 { return true }; return false }.count == 3)
        #expect(seen.contains { if case .progress(let endpoint, let line) = $0 { return endpoint == "pem1" && line.hasPrefix("wrote ") }; return false })

        // Hooks and webhooks learn of it through the outbox.
        let recorded = try gateway.inventory().undeliveredEvents(limit: 10).map { "\($0.kind.rawValue) \($0.endpoint ?? "")" }.sorted()
        #expect(recorded == ["deploy-failed crashy", "deployed pem1", "deployed pem2"], "\(recorded)")

        // Again, with the plugin behaving: the crashed endpoint is completed, the others are left alone.
        let again = try service.deploy(name: "site", endpoints: ["pem1", "crashy"], parallel: 2)
        #expect(again.rows.map(\.endpoint) == ["crashy", "pem1"])
        #expect(again.rows.map(\.outcome) == [.installed, .unchanged], "\(again.rows.map(\.message))")
        #expect(again.category == nil)
        #expect(try LocalFiles.read(directory.file("store/fullchain.pem")) != Array("the previous chain\n".utf8))
    }

    @Test func badRequestsAreRefusedNamingTheFieldBeforeAnythingStarts() throws {
        func refusal(_ body: () throws -> DeployReport) -> GatewayError? {
            do { _ = try body(); return nil } catch { return error as? GatewayError }
        }
        #expect(refusal { try service.deploy(name: "site", parallel: 0) }?.field == "parallel")
        #expect(refusal { try service.deploy(name: "site", parallel: 65) }?.field == "parallel")
        #expect(refusal { try service.deploy(name: "site", endpoints: ["pem1", "pem1"]) }?.field == "endpoint")
        #expect(refusal { try service.deploy(name: "no-such-certificate") }?.category == .notFound)
        #expect(refusal { try service.deploy(name: "site", endpoints: ["nowhere"]) }?.category == .notFound)
        try gateway.inventory().unbind(lineage: "site", endpointID: try EndpointCatalog(gateway: gateway).find("pem2").id, node: nil)
        let unbound = refusal { try service.deploy(name: "site", endpoints: ["pem2"]) }
        #expect(unbound?.field == "endpoint")
        #expect(unbound?.problem.contains("holds no binding of 'site'") == true, "\(unbound?.message ?? "")")
        #expect(try gateway.inventory().unfinishedInstalls().isEmpty)
        #expect(String(decoding: try LocalFiles.read(directory.file("pem1/cert.pem")), as: UTF8.self).isEmpty, "nothing was installed")
    }
}
