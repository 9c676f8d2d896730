import Foundation
import OGBasics
import OGTestSupport
import Testing

/// server.xml shapes the tomcat plugin reads, and the ones it refuses with
/// the file and line, checked through the real og-host without a running
/// Tomcat (discovery and dry runs only read the configuration).
@Suite struct TomcatParsingTests {
    let fixture: GatewayFixture
    let work: TemporaryDirectory
    let pki: TestPKI

    init() throws {
        fixture = try GatewayFixture(plugins: ["tomcat"])
        work = try TemporaryDirectory("og-tomcat-parse")
        pki = try TestPKI()
        try LocalFiles.makeDirectory(work.file("conf"))
    }

    var serverXML: String { work.file("conf/server.xml") }

    func write(_ text: String) throws {
        try LocalFiles.writeAtomically(serverXML, contents: Array(text.utf8))
    }

    func add(password: String = "changeit") throws -> ProcessOutput {
        try fixture.run(["tls", "add", "tomcat", "--name", "tc", "--connection_type", "local", "--tomcat_dir",
                         "/usr/share/tomcat10", "--tomcat_base", work.path, "--keystore_password", "env:STORE_PASS"],
                        extraEnvironment: ["STORE_PASS": password])
    }

    func nodes() throws -> ProcessOutput {
        try fixture.run(["tls", "nodes", "tc", "--output", "json"])
    }

    /// Tomcat 8.5/9 shapes: certificate attributes on the Connector itself and on an SSLHostConfig without
    /// <Certificate>; an RSA and an EC certificate in one host config; a portOffset.
    @Test func olderAttributeShapesAndSeveralCertificatesPerHostAreNodes() throws {
        let leaf = try pki.issue("legacy", dnsNames: ["legacy.example.test"])
        try LocalFiles.writeAtomically(work.file("conf/legacy.pem"), contents: try LocalFiles.read(leaf.certificate)
                                           + (try LocalFiles.read(leaf.key)))
        try write("""
            <?xml version='1.0' encoding='utf-8'?>
            <!DOCTYPE Server>
            <Server port="8005" shutdown="SHUTDOWN" portOffset="10">
              <Service name="Old">
                <Connector port="8443" SSLEnabled="true" keystoreFile="${catalina.base}/conf/old.jks" keystorePass="a&amp;b"
                           keyAlias="tomcat"/>
                <Connector port="8444" SSLEnabled='true' SSLCertificateFile="conf/legacy.pem"/>
                <Connector port="8080" protocol="HTTP/1.1"/>
              </Service>
              <Service name="Dual">
                <Connector port="9443" address="::1" SSLEnabled="true"><![CDATA[ignored <text> ]]>
                  <SSLHostConfig hostName="Dual.Example.Test" certificateKeystoreFile="/opt/dual.p12"/>
                  <SSLHostConfig hostName="both.example.test">
                    <Certificate type="RSA" certificateKeystoreFile="conf/rsa.p12"/>
                    <Certificate type="EC" certificateFile="conf/ec.pem" certificateKeyFile="conf/ec.key"/>
                  </SSLHostConfig>
                </Connector>
              </Service>
            </Server>
            """)
        #expect(try add().exitStatus == 0)
        let result = try nodes()
        #expect(result.exitStatus == 0, "\(result.standardErrorText)")
        let text = result.standardOutputText
        for id in ["8453/_default_", "8454/_default_", "9453/dual.example.test", "9453/both.example.test/rsa",
                   "9453/both.example.test/ec"] {
            #expect(text.contains("\"id\" : \"\(id)\""), "node \(id) in \(text)")
        }
        #expect(!text.contains("8090"), "HTTP connector")
        #expect(text.contains(work.file("conf/old.jks")), "${catalina.base} resolved")
        #expect(text.contains(work.file("conf/rsa.p12")), "relative paths are relative to CATALINA_BASE")
        #expect(text.contains("\"address\" : \"::1\""))
        #expect(text.contains(try pki.fingerprint(leaf.certificate)), "certificate read from a file that holds the key too")
    }

    @Test(arguments: [
        ("<Server><Service><Connector port=\"8443\" SSLEnabled=\"true\" keystoreFile=\"&ext;\"/></Service></Server>", 1,
         "&ext;"),
        ("<!DOCTYPE Server [\n<!ENTITY c SYSTEM \"c.xml\">\n]>\n<Server>&c;</Server>", 1, "internal subset"),
        ("<Server>\n<Service>\n<Connector port=\"${https.port}\" SSLEnabled=\"true\" keystoreFile=\"k\"/>\n</Service>\n</Server>",
         3, "${https.port}"),
        ("<Server>\n  <Service>\n    <Connector port=\"1\" port=\"2\"/>\n  </Service>\n</Server>", 3, "twice"),
        ("<Server>\n  <Service>\n</Server>", 3, "closes <Service>"),
        ("<Server>\n<!-- a -- b -->\n</Server>", 2, "'--'"),
        ("<Server>\n<Service>\n<Connector port=\"8443\" SSLEnabled=\"true\">\n<SSLHostConfig/>\n</Connector>\n</Service>\n</Server>",
         4, "holds no <Certificate>"),
    ])
    func unreadableConfigurationIsRefusedWithFileAndLine(configuration: String, line: Int, reason: String) throws {
        try write("<Server><Service/></Server>")
        #expect(try add().exitStatus == 0)
        try write(configuration)
        let before = try LocalFiles.read(serverXML)
        let result = try nodes()
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("\(serverXML):\(line):"), "\(result.standardErrorText)")
        #expect(result.standardErrorText.contains(reason), "\(result.standardErrorText)")
        let leaf = try pki.issue("x", dnsNames: ["x.example.test"])
        let install = try fixture.run(["tls", "install", "tc", "--cert", leaf.certificate, "--key", leaf.key,
                                       "--chain", pki.chain, "--dry-run"])
        #expect(install.exitStatus != 0)
        #expect(try LocalFiles.read(serverXML) == before)
    }

    @Test func dryRunShowsTheAttributeEditAndChangesNothing() throws {
        let old = try pki.issue("old", dnsNames: ["shop.example.test"])
        try LocalFiles.writeAtomically(work.file("conf/combined.pem"), contents: try LocalFiles.read(old.key)
                                           + (try LocalFiles.read(old.certificate)))
        try write("""
            <Server>
              <Service name="Catalina">
                <Connector port="8443" SSLEnabled="true">
                  <SSLHostConfig hostName="shop.example.test">
                    <!-- key in the same file -->
                    <Certificate certificateFile="conf/combined.pem" certificateKeyPassword="old-secret" type="EC"/>
                  </SSLHostConfig>
                </Connector>
              </Service>
            </Server>
            """)
        #expect(try add().exitStatus == 0)
        let before = try LocalFiles.read(serverXML)
        let leaf = try pki.issue("new", dnsNames: ["shop.example.test"])
        let dry = try fixture.run(["tls", "install", "tc", "--cert", leaf.certificate, "--key", leaf.key,
                                   "--chain", pki.chain, "--dry-run"])
        #expect(dry.exitStatus == 0, "\(dry.standardErrorText)")
        let certificate = work.file("conf/og-host-8443-shop.example.test.crt.pem")
        let key = work.file("conf/og-host-8443-shop.example.test.key.pem")
        #expect(dry.standardOutputText.contains(
            "+        <Certificate certificateFile=\"\(certificate)\" certificateKeyFile=\"\(key)\" type=\"EC\"/>"),
                "\(dry.standardOutputText)")
        #expect(dry.standardOutputText.contains("-        <Certificate certificateFile=\"conf/combined.pem\""))
        #expect(dry.standardOutputText.contains("Dry run: nothing was changed."))
        #expect(!dry.standardOutputText.contains("<!-- key in the same file -->\n+"), "only the edited line differs")
        #expect(try LocalFiles.read(serverXML) == before)
        #expect(!LocalFiles.exists(certificate))
    }

    @Test func keystoreInstallNeedsTheConnectorsPasswordAndNeverShowsIt() throws {
        try write("""
            <Server><Service>
              <Connector port="8443" SSLEnabled="true">
                <SSLHostConfig hostName="shop.example.test">
                  <Certificate certificateKeystoreFile="conf/store.p12" certificateKeystorePassword="right-one"/>
                </SSLHostConfig>
              </Connector>
            </Service></Server>
            """)
        // Refused at add time, naming the option and the keystore, never either password.
        let result = try add(password: "wrong-one")
        #expect(result.exitStatus == 2, "\(result.standardErrorText)")
        #expect(result.standardErrorText.contains("keystore_password"), "\(result.standardErrorText)")
        #expect(result.standardErrorText.contains("store.p12"), "\(result.standardErrorText)")
        #expect(!result.standardErrorText.contains("right-one"))
        #expect(!result.standardErrorText.contains("wrong-one"))
        #expect(try fixture.run(["tls", "show", "tc"]).exitStatus != 0, "nothing was added")
    }

    /// The password server.xml gives the connector, which og-host is given too,
    /// does not open the keystore file itself: refused at add time.
    @Test func keystorePasswordThatDoesNotOpenTheStoreIsRefusedAtAdd() throws {
        let leaf = try pki.issue("shop", dnsNames: ["shop.example.test"])
        let made = try ProcessRunner.run("openssl", ["pkcs12", "-export", "-in", leaf.certificate, "-inkey", leaf.key,
                                                     "-name", "tomcat", "-out", work.file("conf/real.p12"),
                                                     "-passout", "pass:file-pass"])
        try #require(made.exitStatus == 0, "\(made.standardErrorText)")
        try write("""
            <Server><Service>
              <Connector port="8443" SSLEnabled="true">
                <SSLHostConfig hostName="shop.example.test">
                  <Certificate certificateKeystoreFile="conf/real.p12" certificateKeystorePassword="right-one"/>
                </SSLHostConfig>
              </Connector>
            </Service></Server>
            """)
        let refused = try add(password: "right-one")
        #expect(refused.exitStatus == 2, "\(refused.standardErrorText)")
        #expect(refused.standardErrorText.contains("real.p12"), "\(refused.standardErrorText)")
        #expect(!refused.standardErrorText.contains("right-one"))
        // With server.xml corrected, the same add is accepted and the node's configured certificate is known.
        try write("""
            <Server><Service>
              <Connector port="8443" SSLEnabled="true">
                <SSLHostConfig hostName="shop.example.test">
                  <Certificate certificateKeystoreFile="conf/real.p12" certificateKeystorePassword="file-pass"/>
                </SSLHostConfig>
              </Connector>
            </Service></Server>
            """)
        let added = try add(password: "file-pass")
        #expect(added.exitStatus == 0, "\(added.standardErrorText)")
        let nodes = try nodes()
        #expect(nodes.standardOutputText.contains(try pki.fingerprint(leaf.certificate)), "\(nodes.standardOutputText)")
    }

    @Test func certificateMatchingNoHostNameListsTheNodes() throws {
        try write("""
            <Server><Service>
              <Connector port="8443" SSLEnabled="true">
                <SSLHostConfig hostName="*.example.test"><Certificate certificateFile="conf/a.pem"/></SSLHostConfig>
                <SSLHostConfig hostName="other.test"><Certificate certificateFile="conf/b.pem"/></SSLHostConfig>
              </Connector>
            </Service></Server>
            """)
        #expect(try add().exitStatus == 0)
        let leaf = try pki.issue("nobody", dnsNames: ["nobody.invalid"])
        let result = try fixture.run(["tls", "install", "tc", "--cert", leaf.certificate, "--key", leaf.key,
                                      "--chain", pki.chain, "--dry-run"])
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("8443/*.example.test, 8443/other.test"), "\(result.standardErrorText)")
        let wildcard = try pki.issue("shop", dnsNames: ["shop.example.test"])
        let matched = try fixture.run(["tls", "install", "tc", "--cert", wildcard.certificate, "--key", wildcard.key,
                                       "--chain", pki.chain, "--dry-run"])
        #expect(matched.exitStatus == 0, "\(matched.standardErrorText)")
        #expect(matched.standardOutputText.contains("8443/*.example.test"))
    }

    @Test func pluginCheckPasses() throws {
        let result = try fixture.run(["plugin", "check", "\(fixture.pluginsDirectory)/libog-plugin-tomcat.so"])
        #expect(result.exitStatus == 0, "\(result.standardOutputText)\(result.standardErrorText)")
    }
}
