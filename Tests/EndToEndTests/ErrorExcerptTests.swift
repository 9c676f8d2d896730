import Foundation
import OGBasics
import OGTestSupport
import Testing

/// A configuration path can point anywhere; the parse error it provokes must
/// quote a short, sanitised excerpt, never the file. `/proc/self/environ` is
/// the sharpest case: it is og-host's own environment, `env:` secrets included.
@Suite struct ErrorExcerptTests {
    let fixture: GatewayFixture
    static let canary = "og-canary-\(UInt64.random(in: 1...UInt64.max))"

    init() throws {
        fixture = try GatewayFixture(plugins: ["nginx", "apache"])
    }

    @Test func nginxConfigurationPathAtTheEnvironmentDoesNotEchoIt() throws {
        let added = try fixture.run(["tls", "add", "nginx", "--name", "environ", "--connection_type", "local",
                                     "--nginx_config_path", "/proc/self/environ"],
                                    extraEnvironment: ["OG_LEAK_CANARY": Self.canary])
        let output = added.standardOutputText + added.standardErrorText
        #expect(added.exitStatus != 0, "\(output)")
        #expect(!output.contains(Self.canary), "the environment was echoed: \(output)")
        #expect(output.contains("environ"), "the error still names the file: \(output)")
        #expect(try fixture.auditTrail().allSatisfy { !"\($0)".contains(Self.canary) })
    }

    @Test func apacheConfigurationAtTheEnvironmentDoesNotEchoIt() throws {
        let environment = ["OG_LEAK_CANARY": Self.canary]
        let added = try fixture.run(["tls", "add", "apache", "--name", "environ", "--connection_type", "local",
                                     "--apache_config_file", "/proc/self/environ", "--apache_server_root", "/"],
                                    extraEnvironment: environment)
        var output = added.standardOutputText + added.standardErrorText
        if added.exitStatus == 0 {
            // Accepted at add time: discovery is where the file is parsed (and, as Apache
            // directives, NUL-joined environment lines are unknown ones that touch no TLS host).
            let nodes = try fixture.run(["tls", "nodes", "environ"], extraEnvironment: environment)
            output += nodes.standardOutputText + nodes.standardErrorText
        }
        #expect(!output.contains(Self.canary), "the environment was echoed: \(output)")
    }
}
