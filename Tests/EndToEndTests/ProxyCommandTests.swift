import Foundation
import OGBasics
import OGTestSupport
import Testing

/// `og-host proxy set/get` with the real binary, and REST endpoints reached
/// through a real tinyproxy only while a proxy is configured.
@Suite struct ProxyCommandTests {
    let fixture: GatewayFixture
    let work: TemporaryDirectory

    init() throws {
        fixture = try GatewayFixture(plugins: ["hello-c"])
        work = try TemporaryDirectory("og-proxy-e2e")
        let plugin = "\(fixture.pluginsDirectory)/libog-plugin-rest-probe.so"
        let compiled = try BuiltProducts.compileCPlugin(source: BuiltProducts.repositoryRoot + "/Tests/Fixtures/http/rest_probe.c",
                                                        output: plugin)
        try #require(compiled.exitStatus == 0, "rest_probe.c did not compile: \(compiled.standardErrorText)")
        let manifest = try fixture.run(["plugins", "manifest", plugin])
        try #require(manifest.exitStatus == 0, "manifest: \(manifest.standardErrorText)")
    }

    @Test func proxySettingsRoundTripWithThePasswordMaskedAndSealed() throws {
        let none = try fixture.run(["proxy", "get"])
        #expect(none.exitStatus == 0)
        #expect(none.standardOutputText.contains("none; og-host connects directly"))

        let set = try fixture.run(["proxy", "set", "--host", "proxy.example", "--port", "3128", "--user", "ops", "--password", "-"],
                                  standardInput: Array("pr0xy-s3cret\n".utf8))
        #expect(set.exitStatus == 0, "\(set.standardErrorText)")
        #expect(set.standardOutputText.contains("proxy.example:3128 as ops"))

        let json = try fixture.run(["proxy", "get", "--output", "json"])
        let listing = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutputText.utf8)) as? [String: Any])
        #expect(listing["configured"] as? Bool == true)
        #expect(listing["host"] as? String == "proxy.example")
        #expect(listing["port"] as? Int == 3128)
        #expect(listing["user"] as? String == "ops")
        #expect(listing["password"] as? String == "••••••")
        #expect(!json.standardOutputText.contains("pr0xy-s3cret"))
        for (file, bytes) in fixture.dataDirectoryContents() {
            #expect(!String(decoding: bytes, as: UTF8.self).contains("pr0xy-s3cret"), "the proxy password is readable in \(file)")
        }

        let cleared = try fixture.run(["proxy", "set"])
        #expect(cleared.exitStatus == 0)
        #expect(try fixture.run(["proxy", "get"]).standardOutputText.contains("none; og-host connects directly"))
        let audit = try fixture.run(["audit", "--action", "proxy.set"]).standardOutputText
        #expect(audit.contains("cleared (was proxy.example:3128)"))
        #expect(!audit.contains("pr0xy-s3cret"))
    }

    @Test func malformedProxySettingsAreRefusedAndNothingIsStored() throws {
        let cases: [([String], String)] = [
            (["--host", "proxy.example"], "--port: is required with --host"),
            (["--host", "proxy.example", "--port", "70000"], "--port: 70000 is not between 1 and 65535"),
            (["--port", "3128"], "--port: needs --host and --port"),
            (["--host", "proxy.example", "--port", "3128", "--password", "x"], "--user: is required when --password is given"),
            (["--pacurl", "http://wpad.example/proxy.pac"], "PAC evaluation is not supported by this og-host; give --host/--port"),
        ]
        for (arguments, message) in cases {
            let result = try fixture.run(["proxy", "set"] + arguments)
            #expect(result.exitStatus == 2, "\(arguments)")
            #expect(result.standardErrorText.contains(message), "\(arguments): \(result.standardErrorText)")
        }
        #expect(try fixture.run(["proxy", "get"]).standardOutputText.contains("none; og-host connects directly"))
    }

    @Test func restEndpointsAreReachedThroughTheProxyOnlyWhileOneIsConfigured() throws {
        let pki = try TestPKI()
        let appliance = try ApplianceStandIn(pki: pki, directory: work)
        let proxy = try TinyproxyStandIn(directory: work)
        func add(_ name: String, _ type: String = "rest") throws -> ProcessOutput {
            try fixture.run(["tls", "add", "rest_probe", "--name", name, "--connection_type", type, "--host", "localhost",
                             "--port", "\(appliance.port)", "--user", "admin", "--password", "env:APPLIANCE_PASSWORD"],
                            extraEnvironment: ["APPLIANCE_PASSWORD": "appliance-pw"])
        }

        let untrusted = try add("a0")
        #expect(untrusted.exitStatus != 0)
        #expect(untrusted.standardErrorText.contains("TLS certificate was rejected"), "\(untrusted.standardErrorText)")
        #expect(try add("insecure", "rest_insecure").exitStatus == 0)

        #expect(try fixture.run(["ca", "add", pki.file("root.pem"), "--name", "lab-root"]).exitStatus == 0)
        #expect(try fixture.run(["proxy", "set", "--host", "127.0.0.1", "--port", "\(proxy.port)"]).exitStatus == 0)
        let proxied = try add("a1")
        #expect(proxied.exitStatus == 0, "\(proxied.standardErrorText)")
        let tunnelled = proxy.connects(toPort: appliance.port)
        #expect(tunnelled >= 1)

        #expect(try fixture.run(["proxy", "set"]).exitStatus == 0)
        let direct = try add("a2")
        #expect(direct.exitStatus == 0, "\(direct.standardErrorText)")
        #expect(proxy.connects(toPort: appliance.port) == tunnelled)
    }

    @Test func anUnreachableProxyIsNamedInTheError() throws {
        let pki = try TestPKI()
        let appliance = try ApplianceStandIn(pki: pki, directory: work)
        let deadPort = Loopback.freePort()
        #expect(try fixture.run(["proxy", "set", "--host", "127.0.0.1", "--port", "\(deadPort)"]).exitStatus == 0)
        let result = try fixture.run(["tls", "add", "rest_probe", "--name", "a1", "--connection_type", "rest_insecure",
                                      "--host", "localhost", "--port", "\(appliance.port)", "--user", "admin",
                                      "--password", "env:APPLIANCE_PASSWORD"],
                                     extraEnvironment: ["APPLIANCE_PASSWORD": "appliance-pw"])
        #expect(result.exitStatus != 0)
        #expect(result.standardErrorText.contains("the proxy 127.0.0.1:\(deadPort) failed"), "\(result.standardErrorText)")
    }
}
