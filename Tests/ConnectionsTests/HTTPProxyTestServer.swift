import Foundation
import OGBasics
import OGTestSupport
import Testing

/// A real tinyproxy on a free loopback port with a private configuration and
/// log, stopped by PID. Its log records every CONNECT it tunnels.
final class TinyproxyServer {
    let port: UInt16
    private let directory: TemporaryDirectory
    private let daemon: SpawnedDaemon

    /// `login` turns on Basic proxy authentication with that user and password.
    init(login: (user: String, password: String)? = nil) throws {
        try requireTool("tinyproxy", package: "tinyproxy")
        directory = try TemporaryDirectory("og-tinyproxy")
        port = Loopback.freePort()
        var configuration = """
            Port \(port)
            Listen 127.0.0.1
            Timeout 30
            LogFile "\(directory.file("tinyproxy.log"))"
            LogLevel Connect
            PidFile "\(directory.file("tinyproxy.pid"))"
            MaxClients 20
            Allow 127.0.0.1

            """
        if let login { configuration += "BasicAuth \(login.user) \(login.password)\n" }
        try LocalFiles.writeAtomically(directory.file("tinyproxy.conf"), contents: Array(configuration.utf8))
        daemon = try SpawnedDaemon("/usr/bin/tinyproxy", ["-d", "-c", directory.file("tinyproxy.conf")], port: port,
                                   logPath: directory.file("stdout.log"))
    }

    /// Whether tinyproxy has tunnelled a CONNECT to `port` on 127.0.0.1.
    func sawConnect(toPort target: UInt16) -> Bool {
        let log = (try? String(contentsOfFile: directory.file("tinyproxy.log"), encoding: .utf8)) ?? ""
        return log.contains("CONNECT 127.0.0.1:\(target)")
    }

    var log: String { (try? String(contentsOfFile: directory.file("tinyproxy.log"), encoding: .utf8)) ?? "" }

    deinit { daemon.stop() }
}
