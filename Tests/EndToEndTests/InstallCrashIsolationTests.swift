import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `tls install` runs each endpoint's job in a child og-host (the launcher
/// `cert deploy` and the daemon use), so a plugin that crashes or calls
/// exit() in a slot costs that endpoint's job only: the job is reported with
/// the plugin, the slot and the signal or exit status, its half-written file
/// is recovered in another child, and the next endpoint — a real nginx here —
/// still gets the certificate and serves it.
@Suite struct InstallCrashIsolationTests {
    let fixture: GatewayFixture
    let pki: TestPKI

    init() throws {
        fixture = try GatewayFixture(plugins: ["nginx"])
        pki = try TestPKI()
    }

    /// Compiles the crashing fixture `name` into the gateway's plugins and adds
    /// a `fixture_store` endpoint `endpoint` of it whose store already holds a PEM chain.
    func addFixtureStore(_ name: String, endpoint: String) throws -> TemporaryDirectory {
        let fixtures = BuiltProducts.repositoryRoot + "/Tests/Fixtures/plugins"
        let library = "\(fixture.pluginsDirectory)/libog-plugin-\(name).so"
        let compiled = try BuiltProducts.compileCPlugin(source: fixtures + "/\(name.replacingOccurrences(of: "-", with: "_")).c",
                                                        output: library, extraFlags: ["-I", fixtures])
        try #require(compiled.exitStatus == 0, "\(compiled.standardErrorText)")
        chmod(library, 0o755)
        let manifest = try fixture.run(["plugins", "manifest", library])
        try #require(manifest.exitStatus == 0, "\(manifest.standardErrorText)")
        let store = try TemporaryDirectory("og-crash-store")
        try LocalFiles.writeAtomically(store.file("fullchain.pem"), contents: try LocalFiles.read(pki.chain), mode: 0o644)
        let added = try fixture.run(["tls", "add", "fixture_store", "--name", endpoint, "--connection_type", "local",
                                     "--store_dir", store.path])
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        return store
    }

    /// Backups and temporaries og-host would have left in `directory`.
    func strays(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.contains(".og-backup-") || $0.contains(".og-tmp-") }
    }

    @Test func aPluginThatSegfaultsOnTheFirstEndpointCostsThatEndpointOnly() throws {
        let store = try addFixtureStore("crash-activate", endpoint: "crashy")
        let before = try LocalFiles.read(store.file("fullchain.pem"))
        let nginx = try NginxTestInstance(pki: pki)
        try nginx.start()
        let added = try fixture.run(["tls", "add", "nginx", "--name", "web"] + nginx.localOptions)
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        let old = try nginx.servedFingerprint("beta.example.test")

        // Next time activate runs on crashy, the plugin dies of SIGSEGV (after the host wrote the new chain).
        try LocalFiles.writeAtomically(store.file("crash-next"), contents: Array("x".utf8))
        let leaf = try pki.issue("isolated", dnsNames: ["beta.example.test"])
        let expected = try pki.fingerprint(leaf.certificate)
        let run = try fixture.run(["tls", "install", "crashy", "web", "--cert", leaf.certificate, "--key", leaf.key,
                                   "--chain", pki.chain])
        let everything = run.standardErrorText + run.standardOutputText
        #expect(run.exitStatus == 9, "partial: \(everything)")
        #expect(run.standardOutputText.contains("1 of 2 installs succeeded"), "\(run.standardOutputText)")
        #expect(run.standardErrorText.contains(
            "error: endpoint 'crashy': plugin 'crash-activate' (type fixture_store) crashed in its activate slot: "
            + "the job's process died of signal 11 (SIGSEGV)"), "\(run.standardErrorText)")
        #expect(run.standardErrorText.contains("recovered in a new process: job "), "\(run.standardErrorText)")
        // The child's own last words, forwarded: the plugin, the slot and the signal.
        #expect(run.standardErrorText.contains("og-host: the plugin 'crash-activate' crashed in its activate slot (signal 11, SIGSEGV)"),
                "\(run.standardErrorText)")
        let rows = run.standardOutputText.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(rows.contains { $0.first == "crashy" && $0.contains("rolled-back") }, "\(run.standardOutputText)")
        #expect(rows.contains { $0.first == "web" && $0.contains("installed") }, "\(run.standardOutputText)")

        // The second endpoint serves the new leaf (openssl s_client); the first is as it was, journal closed.
        #expect(old != expected)
        #expect(try nginx.servedFingerprint("beta.example.test") == expected)
        #expect(try LocalFiles.read(store.file("fullchain.pem")) == before)
        #expect(strays(store.path).isEmpty, "\(strays(store.path))")
        let recover = try fixture.run(["tls", "recover", "crashy"])
        #expect(recover.exitStatus == 0, "\(recover.standardErrorText)")
        #expect(recover.standardOutputText.contains("has no interrupted install"), "\(recover.standardOutputText)")

        // Without the crash, the same command installs both.
        let again = try fixture.run(["tls", "install", "crashy", "web", "--cert", leaf.certificate, "--key", leaf.key,
                                     "--chain", pki.chain])
        #expect(again.exitStatus == 0, "\(again.standardErrorText)\(again.standardOutputText)")
        #expect(try LocalFiles.read(store.file("fullchain.pem")) != before)
    }

    /// `PluginSlotWatch`'s exit() path, really driven: exits-in-slot calls
    /// exit(3) in config_test after the host wrote the store's file. The job's
    /// process says which plugin and slot ended it and with what status; the
    /// command survives it, recovers the file in another child and reports the
    /// endpoint rolled back (exit 6).
    @Test func aPluginThatCallsExitInASlotIsReportedAndItsJobRolledBack() throws {
        let store = try addFixtureStore("exits-in-slot", endpoint: "store")
        let before = try LocalFiles.read(store.file("fullchain.pem"))
        let leaf = try pki.issue("exiting", dnsNames: ["beta.example.test"])
        let run = try fixture.run(["tls", "install", "store", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain])
        #expect(run.exitStatus == 6, "rolled back: \(run.standardErrorText)\(run.standardOutputText)")
        #expect(run.standardErrorText.contains(
            "og-host: the plugin 'exits-in-slot' called exit(3) in its config_test slot, ending og-host"), "\(run.standardErrorText)")
        #expect(run.standardErrorText.contains(
            "error: plugin 'exits-in-slot' (type fixture_store) called exit(3) in its config_test slot: "
            + "the job's process ended with exit status 3 without an outcome"), "\(run.standardErrorText)")
        #expect(run.standardErrorText.contains("recovered in a new process: job "), "\(run.standardErrorText)")
        #expect(try LocalFiles.read(store.file("fullchain.pem")) == before, "the written chain was restored")
        #expect(strays(store.path).isEmpty, "\(strays(store.path))")

        // The job's process alone (`og-host job run`, what the launcher runs), given its spec on standard
        // input: it ends with the plugin's status and leaves the journal open for recovery.
        let job = try fixture.run(["job", "run"], standardInput: try jobInput(endpoint: "store", leaf: leaf),
                                  extraEnvironment: ["OG_JOB_LEASE_SECONDS": "1"])
        #expect(job.exitStatus == 3, "\(job.standardErrorText)")
        #expect(job.standardErrorText.contains("og-host: the plugin 'exits-in-slot' called exit(3) in its config_test slot"),
                "\(job.standardErrorText)")
        #expect(try LocalFiles.read(store.file("fullchain.pem")) != before, "the job died with the file written")
        sleep(2)
        let recovered = try fixture.run(["tls", "recover", "store"])
        #expect(recovered.exitStatus == 0, "\(recovered.standardErrorText)")
        #expect(recovered.standardOutputText.contains("recovered: files restored"), "\(recovered.standardOutputText)")
        #expect(try LocalFiles.read(store.file("fullchain.pem")) == before)
        #expect(strays(store.path).isEmpty, "\(strays(store.path))")
    }

    /// A job spec naming a managed certificate imported from `leaf` (a job's
    /// spec holds references only).
    func jobInput(endpoint: String, leaf: (certificate: String, key: String)) throws -> [UInt8] {
        let anchor = try fixture.run(["ca", "add", pki.file("root.pem"), "--name", "crash-root"])
        try #require(anchor.exitStatus == 0, "\(anchor.standardErrorText)")
        let imported = try fixture.run(["cert", "import", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain,
                                        "--name", "exiting"])
        try #require(imported.exitStatus == 0, "\(imported.standardErrorText)")
        return Array("{\"kind\":\"install\",\"endpoint\":\"\(endpoint)\",\"certificateID\":\"exiting\"}\n".utf8)
    }
}
