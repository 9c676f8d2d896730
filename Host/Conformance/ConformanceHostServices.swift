import Foundation
import OGBasics
import OGPlugins

/// The host a plugin meets under test: an endpoint with nothing on it. Files
/// are missing, directories empty, commands "not found", HTTP answers 404 —
/// so every slot runs against real host services without touching a system,
/// and every result-producing service still hands out a result to release.
/// With a `FixtureEndpoint`, files, commands and certificate parsing come
/// from the author's fixture instead.
final class ConformanceHostServices: PluginHostServices, @unchecked Sendable {
    private let fixture: FixtureEndpoint?

    init(fixture: FixtureEndpoint? = nil) {
        self.fixture = fixture
    }

    // Guarded by `lock`; an og_call belongs to one thread, but a misbehaving
    // plugin may use it from another.
    private var recorded: [String] = []
    private let lock = Locked()

    /// The services the plugin used, in order.
    var calls: [String] { lock.withLock { recorded } }

    private func record(_ service: String) { lock.withLock { recorded.append(service) } }

    /// A path short enough to quote in a message (hostile inputs can be 1 MiB long).
    private func shown(_ path: String) -> String { path.count > 80 ? String(path.prefix(77)) + "..." : path }

    func log(_ level: PluginLogLevel, _ message: String) { record("log") }

    func run(_ argv: [String], standardInput: [UInt8], timeoutMilliseconds: UInt32,
             privileged: Bool) throws(ServiceFailure) -> CommandOutput {
        record("run_command")
        if let fixture { return try fixture.run(argv, standardInput: standardInput, timeoutMilliseconds: timeoutMilliseconds) }
        return CommandOutput(exitStatus: 127, standardOutput: [],
                             standardError: Array("\(shown(argv.first ?? "")): command not found on the conformance host\n".utf8))
    }

    func readFile(_ path: String) throws(ServiceFailure) -> [UInt8] {
        record("read_file")
        if let fixture { return try fixture.readFile(path) }
        throw ServiceFailure(.notFound, "\(shown(path)): no such file (the conformance host has no files)")
    }

    func stat(_ path: String) throws(ServiceFailure) -> FileStatusInfo {
        record("stat_file")
        if let fixture { return fixture.stat(path) }
        return FileStatusInfo(kind: .missing)
    }

    func listDirectory(_ path: String) throws(ServiceFailure) -> [String] {
        record("list_directory")
        if let fixture { return try fixture.listDirectory(path) }
        return []
    }

    func writeFile(_ path: String, contents: [UInt8], mode: UInt32) throws(ServiceFailure) {
        record("write_file")
        if let fixture { try fixture.writeFile(path, contents: contents, mode: mode) }
    }

    func http(_ request: HTTPRequestInfo) throws(ServiceFailure) -> HTTPResponseInfo {
        record("http_request")
        return HTTPResponseInfo(status: 404, headers: [], body: [])
    }

    func readKeystore(format: KeystoreFormat, data: [UInt8], passwordOption: String) throws(ServiceFailure) -> [KeystoreEntrySummary] {
        record("read_keystore")
        return []
    }

    func readCertificates(_ data: [UInt8]) throws(ServiceFailure) -> [CertificateSummary] {
        record("read_certificates")
        if let fixture { return try fixture.readCertificates(data) }
        throw ServiceFailure(.parse, "no certificate could be read (the conformance host parses nothing)")
    }
}
