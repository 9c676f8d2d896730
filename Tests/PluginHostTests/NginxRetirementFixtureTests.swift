import Foundation
import OGBasics
import OGConformance
import OGTestSupport
import Testing

/// The nginx plugin's activate against a `plugin check --fixture` endpoint, whose
/// /proc and commands the test writes: it states the old configuration retired
/// (attest_old_configuration_retired, ABI 1.2) only when it saw every old worker
/// stop accepting, and otherwise stays silent, so the host keeps its settle window.
@Suite struct NginxRetirementFixtureTests {
    /// An nginx endpoint under DIR/root: one TLS server, `pid /run/nginx.pid`, and the
    /// commands a fixture answers. `snapshot` is what the reload (the plugin's `/bin/sh -c` that
    /// lists the master's workers, then execs the reload) prints and exits with; `proc` the files under /proc.
    private func nginxFixture(_ directory: TemporaryDirectory, snapshot: (exit: Int32, stdout: String),
                              proc: [String: [UInt8]]) throws -> String {
        let fixture = directory.file("fixture")
        let etc = fixture + "/root/etc/nginx"
        try FileManager.default.createDirectory(atPath: etc + "/ssl", withIntermediateDirectories: true)
        let made = try ProcessRunner.run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                                     "-subj", "/CN=www.example.com", "-days", "2", "-keyout", etc + "/ssl/site.key",
                                                     "-out", etc + "/ssl/site.pem"])
        try #require(made.exitStatus == 0, "\(made.standardErrorText)")
        try LocalFiles.writeAtomically(etc + "/nginx.conf", contents: Array("""
            pid /run/nginx.pid;
            events { }
            http {
                server {
                    listen 443 ssl;
                    server_name www.example.com;
                    ssl_certificate /etc/nginx/ssl/site.pem;
                    ssl_certificate_key /etc/nginx/ssl/site.key;
                }
            }

            """.utf8))
        for (path, contents) in proc {
            let local = fixture + "/root" + path
            try FileManager.default.createDirectory(atPath: (local as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try LocalFiles.writeAtomically(local, contents: contents)
        }
        let manifest: [String: Any] = [
            "type": "nginx",
            "options": ["nginx_config_path": "/etc/nginx/nginx.conf", "reload_method": "signal"],
            "certificate": ["common_name": "www.example.com", "dns_names": ["www.example.com"]],
            "commands": [
                ["argv_prefix": ["/bin/sh", "-c"], "exit": snapshot.exit, "stdout": snapshot.stdout],
                ["argv_prefix": ["sh", "-c"], "exit": 0],
                ["argv_prefix": ["env"], "stdout": "PUBLIC KEY\n"],
                ["argv_prefix": ["openssl"], "stdout": "PUBLIC KEY\n"],
                ["argv_prefix": ["nginx"], "exit": 0, "stderr": "nginx version: nginx/1.22.1\n"],
            ],
        ]
        try LocalFiles.writeAtomically(fixture + "/fixture.json", contents: Array(try JSONSerialization.data(withJSONObject: manifest)))
        return fixture
    }

    private static let listing = "og-nginx-listing master 100 nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf\n"
        + "og-nginx-listing 101 5000 nginx: worker process\nog-nginx-listing 102 5000 nginx: worker process is shutting down\n"

    /// The activate check's detail, after the whole suite passed on the fixture.
    private func activation(snapshot: (exit: Int32, stdout: String), proc: [String: [UInt8]]) throws -> String {
        let directory = try TemporaryDirectory("og-nginx-fixture")
        let fixture = try nginxFixture(directory, snapshot: snapshot, proc: proc)
        let library = try BuiltProducts.stagePlugin("nginx", into: directory.file("plugins.d"))
        let report = ConformanceRunner.run(pluginPath: library, executable: try ConformanceFixtures.ogHost(), fixture: fixture)
        #expect(report.isSuccess, "\(report.text)")
        return try #require(report.check("slot.activate.valid_input")).detail
    }

    @Test func oldWorkersSeenShuttingDownOrGoneAreStated() throws {
        let shuttingDown = Array("nginx: worker process is shutting down\0\0\0\0".utf8)
        let detail = try activation(snapshot: (0, Self.listing), proc: ["/proc/101/cmdline": shuttingDown])
        #expect(detail.contains("nginx (fixture) with a request: OK, stated the old configuration retired"), "\(detail)")
        // A worker that is gone (no /proc/101) counts too; so does its PID now being another process.
        let gone = try activation(snapshot: (0, Self.listing), proc: [:])
        #expect(gone.contains("with a request: OK, stated the old configuration retired"), "\(gone)")
        let reused = try activation(snapshot: (0, Self.listing), proc: [
            "/proc/101/cmdline": Array("nginx: worker process\0".utf8),
            "/proc/101/stat": Array("101 (nginx) S 100 100 100 0 -1 4194624 1 0 0 0 0 0 0 0 20 0 1 0 7777 1 1\n".utf8)])
        #expect(reused.contains("with a request: OK, stated the old configuration retired"), "\(reused)")
    }

    /// No /proc children file, or a pid file naming no nginx master: the reload still
    /// happens and succeeds, and nothing is stated.
    @Test func withoutAProofNothingIsStated() throws {
        for snapshot in [(Int32(0), "og-nginx-listing none 4\n"),
                         (Int32(0), "og-nginx-listing master 100 /usr/bin/something-else\nog-nginx-listing 101 5000 nginx: worker process\n")] {
            let detail = try activation(snapshot: snapshot, proc: [:])
            #expect(detail.contains("nginx (fixture) with a request: OK"), "\(detail)")
            #expect(!detail.contains("stated the old configuration retired"), "\(detail)")
        }
    }
}
