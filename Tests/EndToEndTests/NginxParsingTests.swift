import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Discovery through the real og-host on configurations that are read but not
/// served: the constructs the parser must understand, and the ones it must
/// refuse with the file and line instead of guessing.
@Suite struct NginxParsingTests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let nginx: NginxTestInstance

    init() throws {
        fixture = try GatewayFixture(plugins: ["nginx"])
        pki = try TestPKI()
        nginx = try NginxTestInstance(layout: "parser", pki: pki)
    }

    func add() throws -> ProcessOutput {
        try fixture.run(["tls", "add", "nginx", "--name", "web"] + nginx.localOptions)
    }

    func nodes() throws -> String {
        let result = try fixture.run(["tls", "nodes", "web", "--output", "json"])
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
        return result.standardOutputText
    }

    @Test func luaMapQuotesCommentsGlobsAndInheritedCertificatesAreRead() throws {
        let added = try add()
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        let text = try nodes()
        // `ssl on;` in a quoted server_name block, with a quoted path holding a space.
        #expect(text.contains("\"id\" : \"legacy.example.test:\(nginx.tlsPort2)\""), "\(text)")
        #expect(text.contains("old.example.test"))
        #expect(text.contains("\(nginx.path)/certs/legacy cert.pem"))
        // IPv6 and IPv4 listeners in a globbed include; the certificate comes from http.
        #expect(text.contains("\"id\" : \"inherit.example.test:\(nginx.tlsPort)\""))
        #expect(text.contains("\(nginx.path)/shared/default.pem"))
        #expect(text.contains("[::]:\(nginx.tlsPort)"))
        #expect(text.contains("\"id\" : \"*.wild.example.test:\(nginx.tlsPort)\""))
        // Neither the HTTP-only server nor the stream server is an https node.
        #expect(!text.contains("plain.example.test"))
        #expect(!text.contains("9443"))
    }

    @Test func serverInheritingItsCertificateGetsItsOwnLinesWithTheBlocksIndentation() throws {
        #expect(try add().exitStatus == 0)
        let before = try nginx.configurationSnapshot()
        let leaf = try pki.issue("inherit", dnsNames: ["inherit.example.test"])
        let dry = try fixture.run(["tls", "install", "web", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain, "--dry-run"])
        #expect(dry.exitStatus == 0, "\(dry.standardErrorText)")
        let stem = "\(nginx.path)/og-inherit.example.test_\(nginx.tlsPort)"
        #expect(dry.standardOutputText.contains(" \tserver_name inherit.example.test;\n+\tssl_certificate \(stem).crt;\n+\tssl_certificate_key \(stem).key;\n"),
                "\(dry.standardOutputText)")
        #expect(try nginx.configurationSnapshot() == before)
    }

    @Test func wildcardServerNameMatchesAndVariablePathsAreRefused() throws {
        #expect(try add().exitStatus == 0)
        let leaf = try pki.issue("wild", dnsNames: ["*.wild.example.test"])
        let result = try fixture.run(["tls", "install", "web", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain, "--dry-run"])
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("vhosts/b/site.conf:4: ssl_certificate of server *.wild.example.test:\(nginx.tlsPort) is chosen by variables"),
                "\(result.standardErrorText)")
    }

    @Test(arguments: [
        ("server {\n    listen 1 ssl;\n", "conf.d/zz.conf:1: the \"server\" block opened here is never closed"),
        ("server {\n    listen 1 ssl\n}\n", "conf.d/zz.conf:2: directive \"listen\" has no terminating \";\""),
        ("}\n", "conf.d/zz.conf:1: unexpected \"}\" that closes no block"),
        ("server {\n  server_name \"open;\n}\n", "conf.d/zz.conf:2: the quoted string opened here is never closed"),
        ("server {\n  listen [::1:443 ssl;\n}\n", "conf.d/zz.conf:2: cannot read the listen address"),
        ("include missing/file.conf;\n", "/missing/file.conf, which does not exist; create it or remove the include"),
    ])
    func unreadableConfigurationFailsWithFileAndLine(content: String, message: String) throws {
        #expect(try add().exitStatus == 0)
        try nginx.write("conf.d/zz.conf", content)
        let before = try nginx.configurationSnapshot()
        let result = try fixture.run(["tls", "nodes", "web"])
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains(message), "\(result.standardErrorText)")
        let leaf = try pki.issue("legacy", dnsNames: ["legacy.example.test"])
        let install = try fixture.run(["tls", "install", "web", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain])
        #expect(install.exitStatus != 0)
        #expect(install.standardErrorText.contains(message), "\(install.standardErrorText)")
        #expect(try nginx.configurationSnapshot() == before)
    }

    @Test func addRefusesAConfigurationItCannotRead() throws {
        try nginx.write("conf.d/zz.conf", "server {\n")
        let added = try add()
        #expect(added.exitStatus != 0)
        #expect(added.standardErrorText.contains("conf.d/zz.conf:1"), "\(added.standardErrorText)")
        let listed = try fixture.run(["tls", "list", "--output", "json"])
        #expect(!listed.standardOutputText.contains("\"web\""))
    }

    @Test func pluginPassesTheConformanceSuite() throws {
        let result = try fixture.run(["plugin", "check", "\(fixture.pluginsDirectory)/libog-plugin-nginx.so"])
        #expect(result.exitStatus == 0, "\(result.standardOutputText)\(result.standardErrorText)")
        #expect(result.standardOutputText.contains("0 failed"), "\(result.standardOutputText)")
    }

    @Test func helpDocumentsEveryOption() throws {
        let help = try fixture.run(["tls", "add", "nginx", "--help"])
        for option in ["nginx_config_path", "nginx_binary", "nginx_prefix", "nginx_error_log", "certificate_directory",
                       "reload_method", "nginx_service"] {
            #expect(help.standardOutputText.contains("--\(option)"), "\(option): \(help.standardOutputText)")
        }
    }
}
