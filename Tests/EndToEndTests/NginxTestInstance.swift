import Foundation
import OGBasics
import OGTestSupport
import Testing

/// A real nginx for one test: a fixture tree from Tests/Fixtures/nginx copied
/// into a private directory with free loopback ports, certificates for
/// alpha/beta issued by the test PKI, started in the foreground with every
/// temp, pid and log path inside that directory, stopped by PID.
final class NginxTestInstance: @unchecked Sendable {
    static let binary = "/usr/sbin/nginx"

    let directory: TemporaryDirectory
    let tlsPort: UInt16
    let tlsPort2: UInt16
    let httpPort: UInt16
    private var daemon: SpawnedDaemon?

    var path: String { directory.path }
    var configFile: String { directory.file("nginx.conf") }

    /// Copies `layout` and issues `ssl/alpha.*` and `ssl/beta.*`; `owner` makes
    /// the tree belong to that account, for servers run as an SSH test user.
    init(layout: String = "debian", pki: TestPKI, owner: (uid: uid_t, gid: gid_t)? = nil) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary),
                     "\(Self.binary) is missing: install the Debian package nginx")
        directory = try TemporaryDirectory("og-nginx")
        chmod(directory.path, 0o755)
        tlsPort = Loopback.freePort()
        tlsPort2 = Loopback.freePort()
        httpPort = Loopback.freePort()
        let source = BuiltProducts.repositoryRoot + "/Tests/Fixtures/nginx/" + layout
        try copyTree(from: source, to: directory.path)
        for sub in ["tmp", "logs", "run", "www", "ssl", "certs", "shared"] {
            try FileManager.default.createDirectory(atPath: directory.file(sub), withIntermediateDirectories: true)
        }
        for name in ["alpha", "beta"] {
            let issued = try pki.issue("nginx-\(name)-initial", dnsNames: ["\(name).example.test"])
            try LocalFiles.writeAtomically(directory.file("ssl/\(name).pem"), contents: try LocalFiles.read(issued.certificate))
            try LocalFiles.writeAtomically(directory.file("ssl/\(name).key"), contents: try LocalFiles.read(issued.key), mode: 0o600)
        }
        if let owner { try chownTree(directory.path, owner) }
    }

    deinit { stop() }

    /// Starts nginx in the foreground (as `user` when given, with `environment` added) and waits for its TLS port.
    func start(asUser user: (uid: uid_t, gid: gid_t)? = nil, environment: [String: String] = [:]) throws {
        var executable = Self.binary
        var arguments = ["-p", path, "-c", configFile, "-e", directory.file("logs/error.log"), "-g", "daemon off;"]
        if !environment.isEmpty {
            arguments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [executable] + arguments
            executable = "/usr/bin/env"
        }
        if let user {
            arguments = ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", executable] + arguments
            executable = "/usr/bin/setpriv"
        }
        do {
            daemon = try SpawnedDaemon(executable, arguments, port: tlsPort, logPath: directory.file("console.log"))
        } catch {
            // nginx reports why it did not start in its own log, not on the console.
            let log = (try? text("logs/error.log")) ?? "no error log"
            throw NginxTestInstanceError.didNotStart("\(error)\nnginx error log:\n\(log)")
        }
        // nginx listens before it writes its PID file; a reload (`nginx -s
        // reload` reads that file) right after start must find the PID.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let pid = (try? String(contentsOfFile: directory.file("run/nginx.pid"), encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if let pid, Int32(pid) != nil { return }
            usleep(20_000)
        }
        throw NginxTestInstanceError.didNotStart("nginx listens but wrote no PID to run/nginx.pid within 30 s")
    }

    func stop() {
        daemon?.stop()
        daemon = nil
    }

    /// The SHA-256 fingerprint of the leaf nginx serves for `serverName` on the TLS port (and address).
    func servedFingerprint(_ serverName: String, address: String = "127.0.0.1") throws -> String {
        let connect = address.contains(":") ? "[\(address)]:\(tlsPort)" : "\(address):\(tlsPort)"
        let handshake = try ProcessRunner.run("openssl", ["s_client", "-connect", connect, "-servername", serverName],
                                              timeout: .seconds(30))
        let leaf = try ProcessRunner.run("openssl", ["x509", "-noout", "-fingerprint", "-sha256"],
                                         standardInput: handshake.standardOutput)
        try #require(leaf.exitStatus == 0, "no certificate served for \(serverName) at \(connect): \(handshake.standardErrorText)")
        return leaf.standardOutputText.split(separator: "=").last.map {
            $0.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        } ?? ""
    }

    /// Every configuration file (not logs, temp files or certificates), for byte-identical checks.
    /// `nginx -t` on this instance's configuration, as nginx itself judges it.
    func configTest() throws -> ProcessOutput {
        try ProcessRunner.run(NginxTestInstance.binary, ["-t", "-p", path, "-c", configFile,
                                                         "-e", directory.file("logs/error.log")])
    }

    /// Backups and temporaries og-host left anywhere under the instance (an install
    /// that ended, however it ended, leaves none).
    func strayFiles() -> [String] {
        let all = FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []
        return all.filter { $0.contains("og-backup") || $0.contains(".og-tmp") }
    }

    func configurationSnapshot() throws -> [String: [UInt8]] {
        var snapshot: [String: [UInt8]] = [:]
        let skipped = ["tmp/", "logs/", "run/"]
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return snapshot }
        for case let relative as String in enumerator where !skipped.contains(where: relative.hasPrefix) {
            var isDirectory: ObjCBool = false
            let full = directory.file(relative)
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                snapshot[relative] = try LocalFiles.read(full)
            }
        }
        return snapshot
    }

    func text(_ relative: String) throws -> String {
        String(decoding: try LocalFiles.read(directory.file(relative)), as: UTF8.self)
    }

    func write(_ relative: String, _ text: String) throws {
        try LocalFiles.writeAtomically(directory.file(relative), contents: Array(text.utf8))
    }

    /// `tls add` arguments for this instance over the local connection.
    var localOptions: [String] { options(binary: Self.binary) }

    func options(binary: String) -> [String] { ["--connection_type", "local"] + instanceOptions(binary: binary) }

    /// The options that point og-host at this private instance.
    func instanceOptions(binary: String = NginxTestInstance.binary) -> [String] {
        ["--nginx_config_path", path, "--nginx_prefix", path, "--nginx_binary", binary,
         "--nginx_error_log", directory.file("logs/error.log")]
    }

    private func substitute(_ text: String) -> String {
        text.replacingOccurrences(of: "@DIR@", with: path)
            .replacingOccurrences(of: "@TLS_PORT2@", with: String(tlsPort2))
            .replacingOccurrences(of: "@TLS_PORT@", with: String(tlsPort))
            .replacingOccurrences(of: "@HTTP_PORT@", with: String(httpPort))
    }

    private func copyTree(from source: String, to destination: String) throws {
        let manager = FileManager.default
        for name in try manager.contentsOfDirectory(atPath: source) where name != "README.md" {
            let from = source + "/" + name, to = destination + "/" + name
            let attributes = try manager.attributesOfItem(atPath: from)
            if attributes[.type] as? FileAttributeType == .typeSymbolicLink {
                try manager.createSymbolicLink(atPath: to, withDestinationPath: try manager.destinationOfSymbolicLink(atPath: from))
            } else if attributes[.type] as? FileAttributeType == .typeDirectory {
                try manager.createDirectory(atPath: to, withIntermediateDirectories: true)
                try copyTree(from: from, to: to)
            } else {
                let text = String(decoding: try LocalFiles.read(from), as: UTF8.self)
                try LocalFiles.writeAtomically(to, contents: Array(substitute(text).utf8), mode: 0o644)
            }
        }
    }

    private func chownTree(_ root: String, _ owner: (uid: uid_t, gid: gid_t)) throws {
        lchown(root, owner.uid, owner.gid)
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return }
        for case let relative as String in enumerator { lchown(root + "/" + relative, owner.uid, owner.gid) }
    }
}

enum NginxTestInstanceError: Error, CustomStringConvertible {
    case didNotStart(String)

    var description: String {
        switch self {
        case .didNotStart(let detail): return "nginx did not start: \(detail)"
        }
    }
}
