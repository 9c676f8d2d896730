import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `tls nodes` on Apache configurations written for each case: the
/// constructs httpd reads are read the same way, and what og-host cannot
/// evaluate fails with the file and line. Discovery needs no running server.
@Suite struct ApacheParsingTests {
    let fixture: GatewayFixture
    let root: TemporaryDirectory
    let port = 28_000 + Int(UInt16.random(in: 0...999))

    init() throws {
        try #require(FileManager.default.isExecutableFile(atPath: ApacheInstance.binary),
                     "\(ApacheInstance.binary) is missing: install the Debian package apache2")
        fixture = try GatewayFixture(plugins: ["apache"])
        root = try TemporaryDirectory("og-apache-parse")
    }

    /// Writes `main` (after a common preamble) and `files`, adds the endpoint and runs `tls nodes`.
    func nodes(_ main: String, files: [String: String] = [:], defines: String? = nil,
               options: [String] = []) throws -> ProcessOutput {
        let preamble = """
            ServerRoot \(root.path)
            LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
            LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so

            """
        try LocalFiles.writeAtomically(root.file("httpd.conf"), contents: Array((preamble + main).utf8))
        for (name, text) in files {
            try LocalFiles.makeDirectory((root.file(name) as NSString).deletingLastPathComponent)
            try LocalFiles.writeAtomically(root.file(name), contents: Array(text.utf8))
        }
        var add = ["tls", "add", "apache", "--name", "parse", "--connection_type", "local",
                   "--apachectl_path", ApacheInstance.binary, "--apache_server_root", root.path,
                   "--apache_config_file", "httpd.conf"]
        if let defines { add += ["--apache_defines", defines] }
        add += options
        let added = try fixture.run(add)
        try #require(added.exitStatus == 0, "tls add: \(added.standardErrorText)")
        return try fixture.run(["tls", "nodes", "parse", "--output", "json"])
    }

    func tlsHost(_ addresses: String, name: String, extra: String = "") -> String {
        """
        <VirtualHost \(addresses)>
            ServerName \(name)
            SSLEngine on
            SSLCertificateFile certs/\(name).pem
        \(extra)</VirtualHost>

        """
    }

    @Test func readsDirectoriesConditionsDefinesAndContinuedComments() throws {
        let output = try nodes("""
            Include conf.d/
            IncludeOptional missing/extra.conf
            # A comment ending in a backslash swallows the next line, as in httpd: \\
            SSLEngine on
            <IfModule !mod_ssl.c>
            \(tlsHost("*:\(port)", name: "no-ssl-module.example.test"))</IfModule>
            <IfModule ssl_module>
            <IfDefine STAGING>
            \(tlsHost("127.0.0.1:\(port + 1)", name: "staging.example.test"))</IfDefine>
            <IfDefine !STAGING>
            \(tlsHost("127.0.0.1:\(port + 2)", name: "not-staging.example.test"))</IfDefine>
            </IfModule>
            """, files: [
                "conf.d/10-wild.conf": tlsHost("_default_:\(port) [::]:\(port)", name: "wild.example.test"),
                "conf.d/20-scheme.conf": """
                    Define SITE "scheme.example.test"
                    <VirtualHost 192.0.2.10:\(port)>
                        ServerName https://${SITE}:\(port)
                        ServerAlias alias-one.example.test \\
                                    alias-two.example.test
                        SSLEngine On
                        SSLCertificateFile "certs/with space.pem"
                    </VirtualHost>
                    <VirtualHost 192.0.2.10:\(port + 4)>
                        ServerName plain.example.test
                    </VirtualHost>
                    """,
                "conf.d/30-nameless.conf": """
                    <VirtualHost *:\(port + 3)>
                        SSLEngine on
                        SSLCertificateFile certs/nameless.pem
                    </VirtualHost>
                    """,
            ], defines: "STAGING")
        #expect(output.exitStatus == 0, "\(output.standardErrorText)")
        let text = output.standardOutputText
        #expect(text.contains("wild.example.test@*:\(port)"))
        #expect(text.contains("\"address\" : \"127.0.0.1\""), "a wildcard address of a local endpoint is verified on loopback")
        #expect(text.contains("scheme.example.test@192.0.2.10:\(port)"), "Define, scheme and port stripped from ServerName")
        #expect(text.contains("alias-two.example.test"), "continued ServerAlias line")
        #expect(text.contains("\(root.path)/certs/with space.pem"), "quoted path relative to ServerRoot")
        #expect(text.contains("staging.example.test@127.0.0.1:\(port + 1)"), "--apache_defines decides <IfDefine>")
        #expect(!text.contains("not-staging"))
        #expect(!text.contains("no-ssl-module"))
        #expect(!text.contains("plain.example.test"))
        #expect(text.contains("localhost@*:\(port + 3)"), "without any ServerName the machine's name is used")
    }

    @Test(arguments: [
        ("Use of a TLS macro", "<Macro Site $name>\n<VirtualHost *:443>\n SSLEngine on\n</VirtualHost>\n</Macro>\nUse Site shop\n",
         "httpd.conf:9", "mod_macro"),
        ("Use of an undefined macro", "Use Nowhere shop\n", "httpd.conf:4", "not seen defined"),
        ("undefined variable", "<VirtualHost *:443>\n SSLEngine on\n SSLCertificateFile ${NOWHERE}/a.pem\n</VirtualHost>\n",
         "httpd.conf:6", "${NOWHERE}"),
        ("Include without match", "Include sites/*.conf\n", "httpd.conf:4", "matches no file"),
        ("unclosed section", "<VirtualHost *:443>\n SSLEngine on\n", "httpd.conf:4", "never closed"),
        ("global SSLEngine", "SSLEngine on\n", "httpd.conf:4", "outside a <VirtualHost>"),
        ("IfVersion around a vhost", "<IfVersion >= 2.4>\n<VirtualHost *:443>\n</VirtualHost>\n</IfVersion>\n",
         "httpd.conf:5", "<IfVersion>"),
        ("vhost without a port", "<VirtualHost 127.0.0.1>\n SSLEngine on\n SSLCertificateFile a.pem\n</VirtualHost>\n",
         "httpd.conf:4", "gives no port"),
    ])
    func refusesWhatItCannotReadWithFileAndLine(_ scenario: String, _ config: String, _ location: String, _ words: String) throws {
        let output = try nodes(config)
        #expect(output.exitStatus != 0, "\(scenario): \(output.standardOutputText)")
        #expect(output.standardErrorText.contains("\(root.path)/\(location)"), "\(scenario): \(output.standardErrorText)")
        #expect(output.standardErrorText.contains(words), "\(scenario): \(output.standardErrorText)")
    }

    /// A mod_macro macro that only makes port-80 hosts (a common redirect
    /// pattern) cannot change the TLS virtual hosts: the others are still
    /// discovered. httpd's own `-t` accepts the same configuration.
    @Test func aMacroOfPlainHostsDoesNotBlockTheTLSHosts() throws {
        let pki = try TestPKI()
        let issued = try pki.issue("macro", dnsNames: ["secure.example.test"])
        try LocalFiles.makeDirectory(root.file("certs"))
        try LocalFiles.writeAtomically(root.file("certs/secure.example.test.pem"),
                                       contents: try LocalFiles.read(issued.certificate) + (try LocalFiles.read(issued.key)))
        let main = """
            LoadModule macro_module /usr/lib/apache2/modules/mod_macro.so
            LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
            LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
            Listen 127.0.0.1:\(port)
            Listen 127.0.0.1:\(port + 1)
            <Macro Redirect $host>
              <VirtualHost 127.0.0.1:\(port + 1)>
                ServerName $host
                Redirect permanent / https://$host/
              </VirtualHost>
            </Macro>
            Use Redirect shop.example.test
            Use Redirect blog.example.test
            UndefMacro Redirect
            \(tlsHost("127.0.0.1:\(port)", name: "secure.example.test"))
            """
        let output = try nodes(main)
        #expect(output.exitStatus == 0, "\(output.standardErrorText)")
        #expect(output.standardOutputText.contains("secure.example.test"), "\(output.standardOutputText)")
        try LocalFiles.makeDirectory(root.file("logs"))
        let judge = try ProcessRunner.run(ApacheInstance.binary, ["-t", "-d", root.path, "-f", "httpd.conf"])
        #expect(judge.exitStatus == 0, "httpd -t refuses the test configuration: \(judge.standardErrorText)")
    }

    /// Finding nothing is never silent: the answer names the configuration
    /// that was read and how it was chosen.
    @Test func emptyDiscoverySaysWhichConfigurationWasRead() throws {
        let output = try nodes("Listen 127.0.0.1:\(port)\n")
        #expect(output.exitStatus == 0, "\(output.standardErrorText)")
        #expect(output.standardErrorText.contains("no TLS virtual host found in \(root.path)/httpd.conf"),
                "\(output.standardErrorText)")
        #expect(output.standardErrorText.contains("--apache_server_root"))
    }

    @Test func dryRunAddsAKeyLineWhenTheKeyLivesInTheCertificateFile() throws {
        let pki = try TestPKI()
        let certificates = root.file("issued")
        try LocalFiles.makeDirectory(certificates)
        let output = try nodes("""
            <VirtualHost 127.0.0.1:\(port)>
                ServerName combined.example.test
                SSLEngine on
                SSLCertificateFile certs/combined.pem
            </VirtualHost>

            """, options: ["--cert_dir", certificates])
        #expect(output.exitStatus == 0, "\(output.standardErrorText)")
        let before = try LocalFiles.read(root.file("httpd.conf"))
        let leaf = try pki.issue("combined", dnsNames: ["combined.example.test"])
        let dry = try fixture.run(["tls", "install", "parse", "--cert", leaf.certificate, "--key", leaf.key,
                                   "--chain", pki.chain, "--dry-run"])
        #expect(dry.exitStatus == 0, "\(dry.standardErrorText)")
        let stem = "\(certificates)/og-combined.example.test_127.0.0.1_\(port)"
        #expect(dry.standardOutputText.contains("-    SSLCertificateFile certs/combined.pem"), "\(dry.standardOutputText)")
        #expect(dry.standardOutputText.contains("+    SSLCertificateFile \(stem).crt"))
        #expect(dry.standardOutputText.contains("+    SSLCertificateKeyFile \(stem).key"), "the key gets its own line")
        #expect(dry.standardOutputText.contains("create \(stem).key (mode 600)"))
        #expect(try LocalFiles.read(root.file("httpd.conf")) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: certificates).isEmpty)
    }

    @Test func refusesToEditADirectiveSharedThroughASnippet() throws {
        let pki = try TestPKI()
        try LocalFiles.makeDirectory(root.file("certs"))
        let output = try nodes("""
            <VirtualHost 127.0.0.1:\(port)>
                ServerName one.example.test
                SSLEngine on
                Include snippets/shared-certificate.conf
            </VirtualHost>
            <VirtualHost 127.0.0.1:\(port)>
                ServerName two.example.test
                SSLEngine on
                Include snippets/shared-certificate.conf
            </VirtualHost>

            """, files: ["snippets/shared-certificate.conf": "SSLCertificateFile certs/both.pem\nSSLCertificateKeyFile certs/both.key\n"])
        #expect(output.exitStatus == 0, "\(output.standardErrorText)")
        #expect(output.standardOutputText.contains("\(root.path)/certs/both.pem"), "Include inside <VirtualHost>")
        let before = try LocalFiles.read(root.file("snippets/shared-certificate.conf"))
        let leaf = try pki.issue("one", dnsNames: ["one.example.test"])
        let refused = try fixture.run(["tls", "install", "parse", "--cert", leaf.certificate, "--key", leaf.key,
                                       "--chain", pki.chain])
        #expect(refused.exitStatus != 0)
        #expect(refused.standardErrorText.contains("shared-certificate.conf:1"), "\(refused.standardErrorText)")
        #expect(refused.standardErrorText.contains("two.example.test@127.0.0.1:\(port)"))
        #expect(try LocalFiles.read(root.file("snippets/shared-certificate.conf")) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.file("certs")).isEmpty)
    }
}
