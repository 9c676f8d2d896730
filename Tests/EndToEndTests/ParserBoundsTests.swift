import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Hostile configurations each plugin must refuse with the file, the line
/// and the bound it hit, instead of exhausting the stack, memory or time:
/// deep nesting (nginx accepts about 2,500 nested blocks; og-host's parsers
/// recurse per level), include loops, an Apache `Define` that doubles
/// itself, and a server.xml larger than any real one.
@Suite struct ParserBoundsTests {
    let pki: TestPKI

    init() throws {
        pki = try TestPKI()
    }

    // MARK: nginx

    func nginxNodes(_ writeHostile: (NginxTestInstance) throws -> Void) throws -> ProcessOutput {
        let fixture = try GatewayFixture(plugins: ["nginx"])
        let nginx = try NginxTestInstance(pki: pki)
        let added = try fixture.run(["tls", "add", "nginx", "--name", "web"] + nginx.localOptions)
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        try writeHostile(nginx)
        return try fixture.run(["tls", "nodes", "web", "--output", "json"])
    }

    @Test func nginxBlocksNested2500DeepAreRefusedWithTheFileLineAndBound() throws {
        let result = try nginxNodes { nginx in
            let depth = 2_500
            let text = "server {\n" + String(repeating: "location / {\n", count: depth) + String(repeating: "}\n", count: depth) + "}\n"
            try nginx.write("conf.d/deep.conf", text)
        }
        #expect(result.exitStatus == 2 || result.exitStatus == 1, "\(result.standardErrorText)")
        // The 65th block opens on line 65 of the file (the server block is line 1, inside http).
        #expect(result.standardErrorText.contains("conf.d/deep.conf:"), "\(result.standardErrorText)")
        #expect(result.standardErrorText.contains("nested more than 64 deep"), "\(result.standardErrorText)")
    }

    @Test func nginxIncludeLoopIsRefused() throws {
        let result = try nginxNodes { nginx in
            try nginx.write("conf.d/a.conf", "include \(nginx.path)/loop/b.conf;\n")
            try LocalFiles.makeDirectory(nginx.directory.file("loop"))
            try nginx.write("loop/b.conf", "include \(nginx.path)/conf.d/a.conf;\n")
        }
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("include loop"), "\(result.standardErrorText)")
        #expect(result.standardErrorText.contains("loop/b.conf"), "\(result.standardErrorText)")
    }

    // MARK: Apache

    func apacheNodes(_ main: String, files: [String: String] = [:]) throws -> ProcessOutput {
        try #require(FileManager.default.isExecutableFile(atPath: ApacheInstance.binary),
                     "\(ApacheInstance.binary) is missing: install the Debian package apache2")
        let fixture = try GatewayFixture(plugins: ["apache"])
        let root = try TemporaryDirectory("og-apache-bounds")
        let preamble = """
            ServerRoot \(root.path)
            LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
            LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so

            """
        try LocalFiles.writeAtomically(root.file("httpd.conf"), contents: Array("Listen 1\n".utf8))
        let added = try fixture.run(["tls", "add", "apache", "--name", "parse", "--connection_type", "local",
                                     "--apachectl_path", ApacheInstance.binary, "--apache_server_root", root.path,
                                     "--apache_config_file", "httpd.conf"])
        try #require(added.exitStatus == 0, "tls add: \(added.standardErrorText)")
        for (name, text) in files {
            try LocalFiles.makeDirectory((root.file(name) as NSString).deletingLastPathComponent)
            try LocalFiles.writeAtomically(root.file(name), contents: Array(text.utf8))
        }
        try LocalFiles.writeAtomically(root.file("httpd.conf"), contents: Array((preamble + main).utf8))
        return try fixture.run(["tls", "nodes", "parse", "--output", "json"])
    }

    /// Each Define doubles the previous one: 2^60 bytes if expanded.
    @Test func apacheDefineExpansionBombIsRefused() throws {
        var text = "Define A0 0123456789abcdef0123456789abcdef\n"
        for level in 1...60 { text += "Define A\(level) ${A\(level - 1)}${A\(level - 1)}\n" }
        text += "ServerName ${A60}\n"
        let result = try apacheNodes(text)
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("httpd.conf:"), "\(result.standardErrorText)")
        #expect(result.standardErrorText.contains("longer than 65536 bytes"), "\(result.standardErrorText)")
    }

    /// Two wildcard includes of each other's directories would fan out without end.
    @Test func apacheIncludeLoopIsRefused() throws {
        let result = try apacheNodes("Include a/*.conf\n", files: [
            "a/one.conf": "Include b/*.conf\n",
            "a/two.conf": "Include b/*.conf\n",
            "b/one.conf": "Include a/*.conf\n",
            "b/two.conf": "Include a/*.conf\n",
        ])
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("include loop"), "\(result.standardErrorText)")
    }

    @Test func apacheSectionsNested100000DeepAreRefused() throws {
        let depth = 100_000
        let text = String(repeating: "<IfModule ssl_module>\n", count: depth) + String(repeating: "</IfModule>\n", count: depth)
        let result = try apacheNodes(text)
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("httpd.conf:"), "\(result.standardErrorText)")
        #expect(result.standardErrorText.contains("nested more than 64 deep"), "\(result.standardErrorText)")
    }

    // MARK: Tomcat

    func tomcatNodes(_ serverXML: [UInt8]) throws -> ProcessOutput {
        let fixture = try GatewayFixture(plugins: ["tomcat"])
        let work = try TemporaryDirectory("og-tomcat-bounds")
        try LocalFiles.makeDirectory(work.file("conf"))
        try LocalFiles.writeAtomically(work.file("conf/server.xml"), contents: Array("""
            <Server port="8005" shutdown="SHUTDOWN"><Service name="C"><Connector port="8080"/></Service></Server>
            """.utf8))
        let added = try fixture.run(["tls", "add", "tomcat", "--name", "tc", "--connection_type", "local", "--tomcat_dir",
                                     "/usr/share/tomcat10", "--tomcat_base", work.path, "--keystore_password", "env:STORE_PASS"],
                                    extraEnvironment: ["STORE_PASS": "changeit"])
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        try LocalFiles.writeAtomically(work.file("conf/server.xml"), contents: serverXML)
        return try fixture.run(["tls", "nodes", "tc", "--output", "json"])
    }

    @Test func tomcatElementsNested100000DeepAreRefused() throws {
        let depth = 100_000
        let text = "<Server port=\"8005\">" + String(repeating: "<Service>", count: depth) + String(repeating: "</Service>", count: depth)
            + "</Server>\n"
        let result = try tomcatNodes(Array(text.utf8))
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("server.xml:1"), "\(result.standardErrorText)")
        #expect(result.standardErrorText.contains("nested more than 64 deep"), "\(result.standardErrorText)")
    }

    /// 50 MB is past the bound on any file read from an endpoint (32 MiB): refused before parsing.
    @Test func aFiftyMegabyteServerXMLIsRefusedForItsSize() throws {
        var text = Array("<Server port=\"8005\"><!-- ".utf8)
        text += [UInt8](repeating: UInt8(ascii: "x"), count: 50_000_000)
        text += Array(" --><Service name=\"C\"/></Server>\n".utf8)
        let result = try tomcatNodes(text)
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("server.xml"), "\(result.standardErrorText)")
        #expect(result.standardErrorText.contains("larger than 32768 KiB"), "names the bound: \(result.standardErrorText)")
    }

    /// Just under the bound, a server.xml of 30 MB of connectors and comments is read to the end.
    @Test func aThirtyMegabyteServerXMLIsReadToTheEnd() throws {
        var text = Array("<Server port=\"8005\"><Service name=\"C\">\n".utf8)
        let connector = Array("<Connector port=\"8080\" protocol=\"HTTP/1.1\" connectionTimeout=\"20000\"/><!-- padding padding -->\n".utf8)
        while text.count < 30_000_000 { text += connector }
        text += Array("</Service></Server>\n".utf8)
        let result = try tomcatNodes(text)
        // Read to the end: well formed, and no TLS connector among the 300,000 plain ones.
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
    }
}
