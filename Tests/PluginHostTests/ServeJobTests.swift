import Foundation
import OGBasics
import OGHost
import OGInventory
import OGTestSupport
import Testing

/// The daemon doing real work in child og-host processes: a plugin that
/// segfaults in the daemon's job fails that job, the daemon keeps serving and
/// retries with backoff; a due certificate with the manual issuer becomes an
/// `expiring` event a hook receives.
@Suite(.serialized) struct ServeJobTests {
    /// A data directory with one `fixture_store` endpoint (`store`) served by
    /// the fixture plugin `fixture`, and a named certificate `site`.
    struct World {
        let directory: TemporaryDirectory
        let environment: [String: String]
        let store: String

        /// The certificate began `ageDays` ago and lives `lifetimeDays` (so the renewal policy sees its real age).
        init(fixture: String, ageDays: Int = 1, lifetimeDays: Int = 30) throws {
            directory = try TemporaryDirectory("og-serve-jobs")
            chmod(directory.path, 0o755)
            let plugins = directory.file("plugins.d")
            try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
            store = directory.file("store")
            try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
            // crash-activate declares file installs only (the fixture header offers the API path too).
            let library = plugins + "/libog-plugin-\(fixture).so"
            let fixtures = BuiltProducts.repositoryRoot + "/Tests/Fixtures/plugins"
            let compiled = try BuiltProducts.compileCPlugin(
                source: fixtures + "/\(fixture.replacingOccurrences(of: "-", with: "_")).c", output: library,
                extraFlags: ["-I", fixtures])
            try #require(compiled.exitStatus == 0, "\(compiled.standardErrorText)")
            chmod(library, 0o755)
            environment = ["OG_DATA_DIR": directory.file("data"), "OG_PLUGIN_PATH": plugins]
            try run(["plugins", "manifest", library])
            try run(["tls", "add", "fixture_store", "--name", "store", "--connection_type", "local", "--store_dir", store])
            try Self.selfSigned(in: directory, ageDays: ageDays, lifetimeDays: lifetimeDays)
            try run(["ca", "add", directory.file("site.pem"), "--name", "site-root"])
            try run(["cert", "import", "--name", "site", "--cert", directory.file("site.pem"), "--key", directory.file("site.key")])
        }

        /// `site.pem`/`site.key` in `directory`: self-signed for site.test, valid from `ageDays` ago for `lifetimeDays`
        /// (`openssl ca -selfsign`, the one openssl 3.0 command that takes a start date).
        static func selfSigned(in directory: TemporaryDirectory, ageDays: Int, lifetimeDays: Int) throws {
            let ca = directory.file("ca")
            try FileManager.default.createDirectory(atPath: ca, withIntermediateDirectories: true)
            try "".write(toFile: ca + "/index.txt", atomically: true, encoding: .utf8)
            try "01\n".write(toFile: ca + "/serial", atomically: true, encoding: .utf8)
            try """
            [ca]
            default_ca = d
            [d]
            database = \(ca)/index.txt
            new_certs_dir = \(ca)
            serial = \(ca)/serial
            default_md = sha256
            policy = p
            copy_extensions = copy
            unique_subject = no
            [p]
            commonName = supplied
            """.write(toFile: ca + "/ca.cnf", atomically: true, encoding: .utf8)
            let request = try ProcessRunner.run("openssl", [
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", directory.file("site.key"),
                "-subj", "/CN=site.test", "-addext", "subjectAltName=DNS:site.test", "-out", ca + "/site.csr"])
            try #require(request.exitStatus == 0, "\(request.standardErrorText)")
            let format = DateFormatter()
            format.locale = Locale(identifier: "en_US_POSIX")
            format.timeZone = TimeZone(identifier: "UTC")
            format.dateFormat = "yyyyMMddHHmmss'Z'"
            let start = Date().addingTimeInterval(-Double(ageDays) * 86_400)
            let signed = try ProcessRunner.run("openssl", [
                "ca", "-batch", "-config", ca + "/ca.cnf", "-selfsign", "-keyfile", directory.file("site.key"),
                "-in", ca + "/site.csr", "-out", directory.file("site.pem"), "-notext",
                "-startdate", format.string(from: start),
                "-enddate", format.string(from: start.addingTimeInterval(Double(lifetimeDays) * 86_400))])
            try #require(signed.exitStatus == 0, "\(signed.standardErrorText)")
        }

        @discardableResult
        func run(_ arguments: [String], extra: [String: String] = [:], input: String = "") throws -> ProcessOutput {
            let output = try BuiltProducts.runOGHost(arguments, environment: environment.merging(extra) { $1 },
                                                     standardInput: Array(input.utf8))
            try #require(output.exitStatus == 0, "og-host \(arguments.joined(separator: " ")): \(output.standardErrorText)")
            return output
        }

        func inventory() throws -> SQLiteInventory { try SQLiteInventory(path: directory.file("data/inventory.sqlite")) }

        func startDaemon(config: String, port: UInt16) throws -> SpawnedDaemon {
            try config.write(toFile: directory.file("serve.json"), atomically: true, encoding: .utf8)
            return try SpawnedDaemon("/usr/bin/env", environment.map { "\($0.key)=\($0.value)" }.sorted() + [
                BuiltProducts.ogHost, "serve", "--listen", "127.0.0.1:\(port)", "--config", directory.file("serve.json"),
            ], port: port, logPath: directory.file("serve.log"))
        }

        var log: String { (try? String(contentsOfFile: directory.file("serve.log"), encoding: .utf8)) ?? "" }
    }

    func scrape(_ port: UInt16, _ path: String = "/metrics") -> String {
        (try? ProcessRunner.run("curl", ["-sS", "--max-time", "10", "http://127.0.0.1:\(port)\(path)"]))?.standardOutputText ?? ""
    }

    @Test func aPluginThatSegfaultsInTheDaemonsJobFailsThatJobAndTheDaemonRetriesAndLivesOn() throws {
        let world = try World(fixture: "crash-activate")
        // An install whose process died of SIGSEGV after writing: the journal stays open, its lease runs out.
        FileManager.default.createFile(atPath: world.store + "/crash-next", contents: nil)
        let spec = #"{"kind": "install", "endpoint": "store", "certificateID": "site"}"#
        let crashed = try BuiltProducts.runOGHost(["job", "run"], environment: world.environment.merging(
            ["OG_JOB_LEASE_SECONDS": "1", "SWIFT_BACKTRACE": "enable=no"]) { $1 }, standardInput: Array(spec.utf8))
        #expect(crashed.exitStatus != 0)
        #expect(try world.inventory().unfinishedInstalls().count == 1)
        // The daemon's first recovery of it crashes too.
        FileManager.default.createFile(atPath: world.store + "/crash-next", contents: nil)
        sleep(2)

        let port = Loopback.freePort()
        let daemon = try world.startDaemon(config: #"{"recoveryIntervalSeconds": 1}"#, port: port)
        defer { daemon.stop() }
        #expect(eventually(60) { scrape(port).contains(#"og_host_jobs_total{kind="recover",outcome="failed"} 1"#) },
                "the crashing recovery was never reported: \(world.log)")
        #expect(kill(daemon.processID, 0) == 0, "the daemon died with its job")
        #expect(scrape(port, "/healthz") == "ok\n")
        #expect(world.log.contains("crashed"), "\(world.log)")
        #expect(world.log.contains("SIGSEGV"), "\(world.log)")
        // Retried after its backoff, without crash-next: recovered, the journal closed.
        #expect(eventually(60) { scrape(port).contains(#"og_host_jobs_total{kind="recover",outcome="recovered"} 1"#) },
                "the retry never recovered the endpoint: \(world.log)")
        #expect(eventually { (try? world.inventory().unfinishedInstalls().isEmpty) == true })
        let status = try world.run(["status", "--output", "json"])
        #expect(status.standardOutputText.contains(#""name" : "recovery""#))
        #expect(kill(daemon.processID, 0) == 0)
    }

    @Test func aDueCertificateWithTheManualIssuerBecomesAnExpiringEventTheHookReceives() throws {
        // 25 of 30 days gone: due (a third of the lifetime left is the default rule); the manual issuer
        // cannot renew, so the operator is told.
        let world = try World(fixture: "crash-activate", ageDays: 25, lifetimeDays: 30)  // installs into store_dir; no crash-next here
        // Installed (so bound): the served-certificate watch has one binding to look at.
        try world.run(["tls", "install", "store", "--cert-id", "site"])
        let hook = world.directory.file("hook.sh")
        try "#!/bin/sh\ncat >> \(world.directory.file("hook.out"))\n".write(toFile: hook, atomically: true, encoding: .utf8)
        chmod(hook, 0o755)
        let port = Loopback.freePort()
        let daemon = try world.startDaemon(config: #"{"hooks": {"expiring": ["\#(hook)"]}}"#, port: port)
        defer { daemon.stop() }
        let received = { (try? String(contentsOfFile: world.directory.file("hook.out"), encoding: .utf8)) ?? "" }
        #expect(eventually(60) { received().contains(#""kind":"expiring""#) }, "no expiring event reached the hook: \(world.log)")
        #expect(received().contains(#""subject":"site""#))
        #expect(scrape(port).contains(#"og_host_jobs_total{kind="renewal","#), "\(scrape(port))")
        // Recorded once (its dedupe key), whatever the passes that follow.
        sleep(2)
        #expect(received().components(separatedBy: #""kind":"expiring""#).count == 2)
        let status = try world.run(["status"])
        #expect(status.standardOutputText.contains("renewal"), "\(status.standardOutputText)")
        // The watch ran over the binding (a file store serves no TLS: nothing to probe, no event).
        #expect(eventually { scrape(port).contains(#"og_host_jobs_total{kind="watch","#) }, "\(scrape(port))")
        #expect(eventually { ((try? world.run(["status"]))?.standardOutputText ?? "").contains("1 binding(s) probed") })
    }
}
