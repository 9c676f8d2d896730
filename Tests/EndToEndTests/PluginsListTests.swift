import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `og-host plugins list/info` over a plugins directory holding good, untrusted,
/// conflicting and manifest-less plugins.
@Suite struct PluginsListTests {
    func listed(_ fixture: GatewayFixture) throws -> [[String: Any]] {
        let result = try fixture.run(["plugins", "list", "--output", "json"])
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [[String: Any]])
    }

    func entry(_ list: [[String: Any]], _ name: String) -> [String: Any]? {
        list.first { $0["name"] as? String == name && $0["status"] as? String != "shadowed" }
    }

    @Test func bothSDKExamplesLoadSideBySide() throws {
        let fixture = try GatewayFixture()
        let list = try listed(fixture)
        let swift = try #require(entry(list, "hello-swift"))
        let c = try #require(entry(list, "hello-c"))
        #expect(swift["status"] as? String == "available")
        #expect(c["status"] as? String == "available")
        #expect(swift["types"] as? [String] == ["combined_pem"])
        #expect(c["types"] as? [String] == ["pem_dir"])
        #expect(c["abi"] as? String == "1.2", "the C example answers the current minor of a current host")

        let text = try fixture.run(["plugins", "list"])
        #expect(text.standardOutputText.contains("NAME"))
        #expect(text.standardOutputText.contains("hello-c"))
    }

    @Test func infoShowsConnectionTypesAndOptions() throws {
        let fixture = try GatewayFixture()
        let result = try fixture.run(["plugins", "info", "pem_dir", "--output", "json"])
        #expect(result.exitStatus == 0)
        let details = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any])
        #expect(details["plugin"] as? String == "hello-c")
        #expect(details["connection_types"] as? [String] == ["local", "ssh"])
        let options = try #require(details["options"] as? [[String: Any]])
        #expect(options.contains { $0["name"] as? String == "cert_dir" && $0["required"] as? Bool == true })

        let unknown = try fixture.run(["plugins", "info", "nope"])
        #expect(unknown.exitStatus == 3, "not found")
        #expect(unknown.standardErrorText.contains("no plugin serves endpoint type 'nope'"))
    }

    @Test func groupWritablePluginIsRefusedWithTheReason() throws {
        let fixture = try GatewayFixture()
        chmod("\(fixture.pluginsDirectory)/libog-plugin-hello-c.so", 0o775)
        let c = try #require(entry(try listed(fixture), "hello-c"))
        #expect(c["status"] as? String == "refused")
        #expect((c["reason"] as? String)?.contains("writable by group or others (mode 775)") == true)
        // The other plugin is unaffected.
        #expect(entry(try listed(fixture), "hello-swift")?["status"] as? String == "available")
        let add = try fixture.run(["tls", "add", "pem_dir", "--help"])
        #expect(add.exitStatus == 3, "no usable plugin serves the type")
    }

    @Test func worldWritableDirectoryRefusesEveryPluginInIt() throws {
        let fixture = try GatewayFixture()
        chmod(fixture.pluginsDirectory, 0o777)
        defer { chmod(fixture.pluginsDirectory, 0o755) }
        for plugin in try listed(fixture) {
            #expect(plugin["status"] as? String == "refused")
            #expect((plugin["reason"] as? String)?.contains("directory") == true)
        }
    }

    @Test func twoPluginsServingOneTypeAreAReportedConflict() throws {
        let fixture = try GatewayFixture()
        // The same C source under a second name claims pem_dir too.
        let twin = "\(fixture.pluginsDirectory)/libog-plugin-hello-c2.so"
        let original = String(decoding: try LocalFiles.read(BuiltProducts.repositoryRoot + "/SDK/examples/hello-c/hello_c.c"), as: UTF8.self)
        let renamed = original.replacingOccurrences(of: ".name = \"hello-c\",", with: ".name = \"hello-c2\",")
        try #require(renamed != original, "hello_c.c no longer spells its name as .name = \"hello-c\"")
        let source = fixture.root.file("hello_c2.c")
        try LocalFiles.writeAtomically(source, contents: Array(renamed.utf8))
        let output = try BuiltProducts.compileCPlugin(source: source, output: twin)
        try #require(output.exitStatus == 0, "\(output.standardErrorText)")
        let list = try listed(fixture)
        #expect(entry(list, "hello-c2")?["status"] as? String == "conflict")
        #expect(entry(list, "hello-c")?["status"] as? String == "conflict")
        #expect((entry(list, "hello-c")?["reason"] as? String)?.contains("type 'pem_dir' also served by hello-c2") == true)

        let add = try fixture.run(["tls", "add", "pem_dir", "--name", "x", "--connection_type", "local", "--cert_dir", "/tmp"])
        #expect(add.exitStatus == 1, "an installation problem, not the operator's input")
        #expect(add.standardErrorText.contains("endpoint type 'pem_dir' is served by more than one plugin"))
    }

    @Test func pluginWithoutManifestIsDescribedByLoadingIt() throws {
        let fixture = try GatewayFixture()
        try FileManager.default.removeItem(atPath: "\(fixture.pluginsDirectory)/libog-plugin-hello-swift.manifest.json")
        let swift = try #require(entry(try listed(fixture), "hello-swift"))
        #expect(swift["status"] as? String == "available")
        #expect((swift["reason"] as? String)?.contains("no manifest") == true)
    }

    @Test func staleManifestIsNotTrusted() throws {
        let fixture = try GatewayFixture()
        let library = "\(fixture.pluginsDirectory)/libog-plugin-hello-c.so"
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, library, &times, 0)
        let c = try #require(entry(try listed(fixture), "hello-c"))
        #expect(c["status"] as? String == "available")
        #expect((c["reason"] as? String)?.contains("manifest is stale") == true)
    }

    @Test func libraryThatIsNotAPluginIsRefused() throws {
        let fixture = try GatewayFixture()
        let source = fixture.root.file("notaplugin.c")
        try LocalFiles.writeAtomically(source, contents: Array("int og_something_else(void) { return 1; }\n".utf8))
        let output = try BuiltProducts.compileCPlugin(source: source, output: "\(fixture.pluginsDirectory)/libog-plugin-bogus.so")
        try #require(output.exitStatus == 0)
        let bogus = try #require(entry(try listed(fixture), "bogus"))
        #expect(bogus["status"] as? String == "refused")
        #expect((bogus["reason"] as? String)?.contains("no og_plugin_entry() symbol") == true)
    }

    /// The og-host executable answers `plugins list` itself, without its command library
    /// (Host/Front), and must print byte for byte what the command line prints: available,
    /// refused and shadowed plugins alike. A copy of the executable alone proves which one
    /// answered: it cannot hand anything over, so a command it does not answer fails there.
    @Test func theExecutableListsPluginsExactlyAsTheCommandLineDoes() throws {
        let fixture = try GatewayFixture()
        // A second directory whose hello-c shadows the first one's, and is refused (group-writable).
        let first = fixture.root.file("first.d")
        try LocalFiles.makeDirectory(first, mode: 0o755)
        let shadowing = "\(first)/libog-plugin-hello-c.so"
        try LocalFiles.writeAtomically(shadowing, contents: try LocalFiles.read("\(fixture.pluginsDirectory)/libog-plugin-hello-c.so"),
                                       mode: 0o775)
        chmod(shadowing, 0o775)
        let frontOnly = fixture.root.file("front-only")
        try LocalFiles.makeDirectory(frontOnly, mode: 0o755)
        try LocalFiles.writeAtomically("\(frontOnly)/og-host", contents: try LocalFiles.read(BuiltProducts.ogHost), mode: 0o755)
        // Without OG_JOB_LEASE_SECONDS (GatewayFixture sets it, and the executable then leaves
        // even `plugins list` to the command line).
        var environment = EnvironmentVariable.all()
        for name in ["OG_LOG_LEVEL", "OG_LOG_FORMAT", "OG_JOB_LEASE_SECONDS"] { environment.removeValue(forKey: name) }
        environment["OG_DATA_DIR"] = fixture.dataDirectory
        environment["OG_PLUGIN_PATH"] = "\(first):\(fixture.pluginsDirectory)"

        let answered = try ProcessRunner.run("\(frontOnly)/og-host", ["plugins", "list"], environment: environment)
        #expect(answered.exitStatus == 0, "\(answered.standardErrorText)")
        // OG_LOG_LEVEL=warning is the default level, and sends the words to the command line.
        var handedOver = environment
        handedOver["OG_LOG_LEVEL"] = "warning"
        let full = try ProcessRunner.run(BuiltProducts.ogHost, ["plugins", "list"], environment: handedOver)
        #expect(full.exitStatus == 0, "\(full.standardErrorText)")
        #expect(answered.standardOutputText == full.standardOutputText)
        #expect(answered.standardErrorText.isEmpty && full.standardErrorText.isEmpty)
        for expected in ["hello-c      -        -    -             refused: file is writable by group or others (mode 775)",
                         "shadowed: shadowed by \(shadowing)", "hello-swift", "available"] {
            #expect(answered.standardOutputText.contains(expected), "\(expected) in \(answered.standardOutputText)")
        }

        // Anything else needs the library, which the copy does not have.
        let json = try ProcessRunner.run("\(frontOnly)/og-host", ["plugins", "list", "--output", "json"], environment: environment)
        #expect(json.exitStatus == 1)
        #expect(json.standardErrorText.hasPrefix("og-host: cannot load its command library libog-host-cli.so (looked in "))
        #expect(json.standardErrorText.contains("/front-only/libog-host-cli.so, "), "the executable's own directory first")
        #expect(json.standardOutput.isEmpty)
    }
}
