import OGPluginKit
import OGPluginTesting
import OutOfTree
import Testing

/// A third party's plugin tests: the plugin runs through the real C ABI
/// against OGPluginTesting's in-memory host, with no og-host in sight.
@Suite(.serialized) struct OutOfTreeTests {
    let endpoint = Endpoint(type: "oot_file", name: "t", connectionType: .local, options: ["path": "/etc/site/cert.pem"])

    @Test func connectionTestSeesTheInMemoryFiles() throws {
        let host = PluginTestHost()
        let plugin = try host.load(OutOfTreePlugin.self)
        let failure = try #require(throws: PluginTestFailure.self) { try plugin.testConnection(endpoint) }
        #expect(failure.messages == ["--path: /etc/site/cert.pem does not exist; correct --path"])
        host.files["/etc/site/cert.pem"] = Array("pem".utf8)
        try plugin.testConnection(endpoint)
    }

    @Test func planWritesTheFullChain() throws {
        let plugin = try PluginTestHost().load(OutOfTreePlugin.self)
        let plan = try plugin.planInstall(endpoint, request: InstallRequest(certificate: CertificateInfo(subject: "CN=site")))
        #expect(plan.nodeID == "/etc/site/cert.pem")
        #expect(plan.changes == [.fullChainPEM("/etc/site/cert.pem")])
        let relative = Endpoint(type: "oot_file", name: "t", connectionType: .local, options: ["path": "cert.pem"])
        let failure = try #require(throws: PluginTestFailure.self) {
            _ = try plugin.planInstall(relative, request: InstallRequest(certificate: CertificateInfo(subject: "CN=site")))
        }
        #expect(failure.statusName == Status.invalidArgument.description)
    }

    @Test func scriptedCommandsAnswerAndAreRecorded() throws {
        let host = PluginTestHost()
        host.script(["nginx", "-t"], exitStatus: 1, standardError: "emerg\n")
        host.script(["systemctl"], prefix: true)
        let plugin = try host.load(CommandProbePlugin.self)
        let probe = Endpoint(type: "probe", name: "t", connectionType: .local)
        let failure = try #require(throws: PluginTestFailure.self) { try plugin.configTest(probe) }
        #expect(failure.messages == ["nginx -t failed: emerg\n"])
        try plugin.activate(probe, request: nil)
        #expect(host.commands.map(\.argv) == [["nginx", "-t"], ["systemctl", "reload", "nginx"]])
        #expect(host.commands.last?.privileged == true)
    }
}

/// A plugin whose config test and activation are commands, to show scripting.
struct CommandProbePlugin: EndpointPlugin, ConfigTesting, Activating {
    static let descriptor = PluginDescriptor(
        name: "command-probe", version: "1.0.0", license: "Apache-2.0", summary: "Runs commands",
        types: [EndpointTypeDescriptor(name: "probe", summary: "Commands only", connectionTypes: [.local],
                                       capabilities: [.configTest, .activate], options: [])])

    func configTest(_ endpoint: Endpoint, host: HostServices) throws {
        let result = try host.run(["nginx", "-t"])
        guard result.succeeded else {
            throw PluginError(status: .configTest, message: "nginx -t failed: \(result.standardErrorText)")
        }
    }

    func activate(_ endpoint: Endpoint, request: InstallRequest?, host: HostServices) throws {
        let result = try host.run(["systemctl", "reload", "nginx"], privileged: true)
        guard result.succeeded else { throw PluginError(status: .commandFailed, message: "reload failed") }
    }
}
