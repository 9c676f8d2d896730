import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Discovery against a corpus of real-world nginx configurations
/// (Tests/Fixtures/nginx/corpus: published patterns, and Debian's own files
/// as the nginx packages install them here), with nginx's own `nginx -t` as
/// the judge: every case nginx accepts must be read, and must list exactly the
/// TLS servers its `# expect:` line names; what nginx refuses, og-host refuses too.
@Suite struct NginxCorpusTests {
    static let casesDirectory = BuiltProducts.repositoryRoot + "/Tests/Fixtures/nginx/corpus/cases"
    static var caseNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: casesDirectory)) ?? []).filter { $0.hasSuffix(".conf") }.sorted()
    }

    struct Workspace {
        let fixture: GatewayFixture
        let nginx: NginxTestInstance

        init() throws {
            fixture = try GatewayFixture(plugins: ["nginx"])
            nginx = try NginxTestInstance(layout: "corpus", pki: try TestPKI())
        }

        func substituted(_ text: String) -> String {
            text.replacingOccurrences(of: "@DIR@", with: nginx.path)
                .replacingOccurrences(of: "@TLS_PORT2@", with: String(nginx.tlsPort2))
                .replacingOccurrences(of: "@TLS_PORT@", with: String(nginx.tlsPort))
                .replacingOccurrences(of: "@HTTP_PORT@", with: String(nginx.httpPort))
        }

        /// nginx's verdict on `config` (exit status and its words).
        func judge(_ config: String) throws -> ProcessOutput {
            try ProcessRunner.run(NginxTestInstance.binary, ["-t", "-p", nginx.path, "-c", config,
                                                              "-e", nginx.directory.file("logs/error.log")])
        }

        /// `tls add` then `tls nodes --output json` with `--nginx_config_path config`.
        func discover(_ config: String) throws -> (add: ProcessOutput, nodes: ProcessOutput?) {
            let add = try fixture.run(["tls", "add", "nginx", "--name", "corpus", "--connection_type", "local",
                                       "--nginx_config_path", config, "--nginx_prefix", nginx.path,
                                       "--nginx_binary", NginxTestInstance.binary])
            guard add.exitStatus == 0 else { return (add, nil) }
            return (add, try fixture.run(["tls", "nodes", "corpus", "--output", "json"]))
        }

        /// The node ids in `tls nodes --output json`.
        static func ids(_ json: String) throws -> Set<String> {
            let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8))
            let list = (parsed as? [[String: Any]]) ?? ((parsed as? [String: Any])?["nodes"] as? [[String: Any]]) ?? []
            return Set(list.compactMap { $0["id"] as? String })
        }
    }

    @Test(arguments: caseNames)
    func discoveryAgreesWithNginx(_ name: String) throws {
        let workspace = try Workspace()
        let text = workspace.substituted(String(decoding: try LocalFiles.read(Self.casesDirectory + "/" + name), as: UTF8.self))
        try workspace.nginx.write("site.conf", text)
        let judged = try workspace.judge(workspace.nginx.configFile)
        try #require(judged.exitStatus == 0, "\(name): nginx -t refuses the case itself: \(judged.standardErrorText)")
        let expected = Set(text.split(separator: "\n").first { $0.hasPrefix("# expect:") }.map {
            $0.dropFirst("# expect:".count).split(separator: " ").map(String.init)
        } ?? [])
        try #require(!expected.isEmpty, "\(name) has no '# expect:' line")
        let found = try workspace.discover(workspace.nginx.configFile)
        try #require(found.add.exitStatus == 0, "\(name): tls add: \(found.add.standardErrorText)")
        let nodes = try #require(found.nodes)
        #expect(nodes.exitStatus == 0, "\(name): \(nodes.standardErrorText)")
        #expect(try Workspace.ids(nodes.standardOutputText) == expected, "\(name): \(nodes.standardOutputText)")
    }

    /// Debian's stock sites-available/default, as the nginx-common package
    /// installs it on this machine, with its commented TLS listeners switched
    /// on (and ports moved to the test's): nginx accepts it, og-host finds its
    /// default server.
    @Test func debiansDefaultSiteWithItsTLSListenersEnabled() throws {
        let stock = "/etc/nginx/sites-available/default"
        try #require(FileManager.default.fileExists(atPath: stock), "\(stock) is missing: install the Debian package nginx")
        let workspace = try Workspace()
        var text = String(decoding: try LocalFiles.read(stock), as: UTF8.self)
        let edits = [
            ("\tlisten 80 default_server;", "\tlisten 127.0.0.1:@HTTP_PORT@ default_server;"),
            ("\tlisten [::]:80 default_server;", ""),
            ("\t# listen 443 ssl default_server;", "\tlisten 127.0.0.1:@TLS_PORT@ ssl default_server;"),
            ("\troot /var/www/html;", "\troot @DIR@/www;\n\tssl_certificate @DIR@/ssl/alpha.pem;\n\tssl_certificate_key @DIR@/ssl/alpha.key;"),
        ]
        for (from, to) in edits {
            try #require(text.contains(from), "Debian's default site no longer contains '\(from)'")
            text = text.replacingOccurrences(of: from, with: to)
        }
        try workspace.nginx.write("site.conf", workspace.substituted(text))
        let judged = try workspace.judge(workspace.nginx.configFile)
        try #require(judged.exitStatus == 0, "nginx -t: \(judged.standardErrorText)")
        let found = try workspace.discover(workspace.nginx.configFile)
        try #require(found.add.exitStatus == 0, "\(found.add.standardErrorText)")
        let nodes = try #require(found.nodes)
        #expect(try Workspace.ids(nodes.standardOutputText) == ["_:\(workspace.nginx.tlsPort)"], "\(nodes.standardOutputText)")
    }

    /// The configuration Debian installs, read where it lies (read only): nginx
    /// accepts it, and og-host reads it and finds no TLS server (the stock site
    /// serves port 80 only) instead of failing.
    @Test func debiansInstalledConfigurationIsRead() throws {
        try #require(FileManager.default.fileExists(atPath: "/etc/nginx/nginx.conf"))
        let workspace = try Workspace()
        let judged = try ProcessRunner.run(NginxTestInstance.binary, ["-t", "-c", "/etc/nginx/nginx.conf",
                                                                      "-e", workspace.nginx.directory.file("logs/error.log")])
        try #require(judged.exitStatus == 0, "nginx -t: \(judged.standardErrorText)")
        let add = try workspace.fixture.run(["tls", "add", "nginx", "--name", "stock", "--connection_type", "local",
                                             "--nginx_config_path", "/etc/nginx/nginx.conf", "--nginx_binary", NginxTestInstance.binary,
                                             "--reload_method", "signal"])
        try #require(add.exitStatus == 0, "\(add.standardErrorText)")
        let nodes = try workspace.fixture.run(["tls", "nodes", "stock", "--output", "json"])
        #expect(nodes.exitStatus == 0, "\(nodes.standardErrorText)")
        #expect(try Workspace.ids(nodes.standardOutputText).isEmpty, "\(nodes.standardOutputText)")
    }

    /// A site fragment (server {} at the top, as in sites-enabled/) given as the
    /// main configuration: nginx refuses it, and og-host refuses it with the
    /// fix instead of reporting zero nodes.
    @Test func aSiteFragmentGivenAsTheMainConfigurationIsRefusedWithTheFix() throws {
        let workspace = try Workspace()
        let text = workspace.substituted(String(decoding: try LocalFiles.read(Self.casesDirectory + "/modern-tls.conf"), as: UTF8.self))
        try workspace.nginx.write("fragment.conf", text)
        let fragment = workspace.nginx.directory.file("fragment.conf")
        #expect(try workspace.judge(fragment).exitStatus != 0, "nginx accepts a fragment as main configuration")
        let found = try workspace.discover(fragment)
        let refusal = found.add.exitStatus != 0 ? found.add : try #require(found.nodes)
        #expect(refusal.exitStatus != 0, "an empty success: \(refusal.standardOutputText)")
        #expect(refusal.standardErrorText.contains("site fragment"), "\(refusal.standardErrorText)")
        #expect(refusal.standardErrorText.contains("nginx.conf"), "the fix names the main configuration: \(refusal.standardErrorText)")
    }
}
