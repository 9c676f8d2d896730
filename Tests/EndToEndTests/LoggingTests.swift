import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Logs against a real nginx: standard error carries the job's lines, each
/// with its job ID, endpoint and plugin; a plugin's `log` call lands there
/// with --verbose; --log-format json makes every line a JSON object; --quiet
/// and the default keep a successful install's standard error free of them.
@Suite struct LoggingTests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let nginx: NginxTestInstance

    init() throws {
        fixture = try GatewayFixture(plugins: ["nginx"])
        pki = try TestPKI()
        nginx = try NginxTestInstance(pki: pki)
        try nginx.start()
        let added = try fixture.run(["tls", "add", "nginx", "--name", "web"] + nginx.localOptions)
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
    }

    func install(_ name: String, _ extra: [String]) throws -> (output: ProcessOutput, jobID: String) {
        let leaf = try pki.issue(name, dnsNames: ["beta.example.test"])
        let output = try fixture.run(extra + ["tls", "install", "web", "--cert", leaf.certificate, "--key", leaf.key,
                                              "--chain", pki.chain])
        try #require(output.exitStatus == 0, "\(output.standardErrorText)")
        let line = try #require(output.standardOutputText.split(separator: "\n").first { $0.hasPrefix("job ") })
        return (output, String(line.dropFirst(4).prefix { $0 != ":" }))
    }

    @Test func verboseShowsTheJobsStepsCommandsAndPluginMessages() throws {
        let (output, job) = try install("verbose", ["--verbose"])
        let lines = output.standardErrorText.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("debug: ran ") && $0.contains("-t") && $0.contains("job=\(job)") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("info: installed CN=beta.example.test") && $0.contains("endpoint=web") }, "\(lines)")
        #expect(output.standardOutputText.contains("installed CN=beta.example.test"), "the report still goes to standard output")

        // The nginx plugin calls `log` when it tests the connection.
        let tested = try fixture.run(["tls", "test", "web", "--verbose"])
        #expect(tested.exitStatus == 0, "\(tested.standardErrorText)")
        #expect(tested.standardErrorText.split(separator: "\n").contains {
            $0.hasPrefix("info: nginx version") && $0.contains("source=plugin") && $0.contains("endpoint=web") && $0.contains("type=nginx")
        }, "the plugin's log call: \(tested.standardErrorText)")
        let quiet = try fixture.run(["tls", "test", "web"])
        #expect(!quiet.standardErrorText.contains("nginx version"), "info is not shown by default")
    }

    @Test func jsonLinesCarryTheJobID() throws {
        let (output, job) = try install("json", ["--log-format", "json", "--verbose"])
        var objects: [[String: String]] = []
        for line in output.standardErrorText.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String], "not JSON: \(line)")
            objects.append(object)
        }
        #expect(!objects.isEmpty)
        #expect(objects.allSatisfy { $0["time"] != nil && $0["level"] != nil && $0["message"] != nil })
        #expect(objects.allSatisfy { $0["job"] == job }, "every line of this run belongs to its one job")
        #expect(objects.contains { $0["plugin"] == "nginx" && $0["endpoint"] == "web" && $0["kind"] == "install" })
        #expect(objects.contains { $0["message"]?.hasPrefix("ran ") == true && $0["level"] == "debug" })
    }

    @Test func quietAndDefaultKeepASuccessfulInstallSilentOnStandardError() throws {
        let quiet = try install("quiet", ["--quiet"]).output
        #expect(quiet.standardErrorText.isEmpty, "\(quiet.standardErrorText)")
        let plain = try install("plain", []).output
        #expect(!plain.standardErrorText.contains("info:") && !plain.standardErrorText.contains("debug:"), "\(plain.standardErrorText)")
        let bad = try fixture.run(["tls", "list", "--log-format", "xml"])
        #expect(bad.exitStatus == 2)
        #expect(bad.standardErrorText.contains("--log-format: 'xml' is not text or json"), "\(bad.standardErrorText)")
    }
}
