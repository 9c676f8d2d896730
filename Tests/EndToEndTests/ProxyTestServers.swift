import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Fails the test, naming the Debian package, when a tool it needs is absent.
func requireProxyTestTool(_ tool: String, package: String) throws {
    let found = ["/usr/bin", "/usr/sbin", "/bin"].contains { LocalFiles.exists("\($0)/\(tool)") }
    try #require(found, "\(tool) is missing: install the Debian package \(package)")
}

/// Tests/Fixtures/http/https_server.py serving a TestPKI leaf for localhost
/// (with its intermediate) on a free loopback port; stopped by PID.
final class ApplianceStandIn {
    let port: UInt16
    private let daemon: SpawnedDaemon

    init(pki: TestPKI, directory: TemporaryDirectory) throws {
        try requireProxyTestTool("python3", package: "python3")
        let leaf = try pki.issue("appliance", dnsNames: ["localhost"])
        let chain = try LocalFiles.read(leaf.certificate) + LocalFiles.read(pki.file("int.pem"))
        try LocalFiles.writeAtomically(directory.file("appliance-chain.pem"), contents: chain)
        port = Loopback.freePort()
        daemon = try SpawnedDaemon("/usr/bin/python3", [
            BuiltProducts.repositoryRoot + "/Tests/Fixtures/http/https_server.py", "--port", "\(port)",
            "--cert", directory.file("appliance-chain.pem"), "--key", leaf.key, "--upload-dir", directory.path,
        ], port: port, logPath: directory.file("appliance.log"))
    }

    deinit { daemon.stop() }
}

/// A real tinyproxy on a free loopback port with a private configuration; its
/// log records every CONNECT it tunnels.
final class TinyproxyStandIn {
    let port: UInt16
    private let logPath: String
    private let daemon: SpawnedDaemon

    init(directory: TemporaryDirectory) throws {
        try requireProxyTestTool("tinyproxy", package: "tinyproxy")
        port = Loopback.freePort()
        logPath = directory.file("tinyproxy.log")
        let configuration = """
            Port \(port)
            Listen 127.0.0.1
            Timeout 30
            LogFile "\(logPath)"
            LogLevel Connect
            PidFile "\(directory.file("tinyproxy.pid"))"
            MaxClients 20
            Allow 127.0.0.1

            """
        try LocalFiles.writeAtomically(directory.file("tinyproxy.conf"), contents: Array(configuration.utf8))
        daemon = try SpawnedDaemon("/usr/bin/tinyproxy", ["-d", "-c", directory.file("tinyproxy.conf")], port: port,
                                   logPath: directory.file("tinyproxy.out"))
    }

    /// How many CONNECTs to localhost:`target` tinyproxy has tunnelled.
    func connects(toPort target: UInt16) -> Int {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return log.components(separatedBy: "CONNECT localhost:\(target)").count - 1
    }

    deinit { daemon.stop() }
}
