import Foundation
import OGBasics
import OGTestSupport
import Testing

/// A real Debian apache2 for one test: the Debian-style layout of
/// Tests/Fixtures/apache/debian rendered into a private directory, two TLS
/// virtual hosts (shop, blog) on one 127.0.0.1/[::1] listener plus an HTTP
/// one, started in the foreground and stopped by PID.
final class ApacheInstance: @unchecked Sendable {
    static let binary = "/usr/sbin/apache2"
    let root: String
    let httpPort = Loopback.freePort()
    let tlsPort = Loopback.freePort()
    let pki: TestPKI
    private let owner: SSHTestUser?
    /// Whatever owns `root` (a TemporaryDirectory, an sshd fixture): released
    /// only after httpd has stopped, so it never loses its files while running.
    private let directoryOwner: AnyObject
    // Written by start/stop, which the owning test calls from its own thread.
    private var daemon: SpawnedDaemon?

    /// Renders the instance into `directory` (which must exist and be kept by
    /// `directoryOwner`). With `owner`
    /// the files belong to that account and httpd runs as it.
    init(in directory: String, ownedBy directoryOwner: AnyObject, pki: TestPKI, owner: SSHTestUser? = nil) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary),
                     "\(Self.binary) is missing: install the Debian package apache2")
        root = directory
        self.directoryOwner = directoryOwner
        self.pki = pki
        self.owner = owner
        let fixtures = BuiltProducts.repositoryRoot + "/Tests/Fixtures/apache/debian"
        for folder in ["run", "logs", "www", "certs", "mods-enabled", "conf-enabled", "sites-enabled",
                       "mods-available", "conf-available", "sites-available"] {
            try LocalFiles.makeDirectory(file(folder))
        }
        let enumerator = FileManager.default.enumerator(atPath: fixtures)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: "\(fixtures)/\(relative)", isDirectory: &isDirectory),
                  !isDirectory.boolValue else { continue }
            let text = String(decoding: try LocalFiles.read("\(fixtures)/\(relative)"), as: UTF8.self)
                .replacingOccurrences(of: "@ROOT@", with: root)
                .replacingOccurrences(of: "@HTTP_PORT@", with: String(httpPort))
                .replacingOccurrences(of: "@TLS_PORT@", with: String(tlsPort))
            try LocalFiles.writeAtomically(file(relative), contents: Array(text.utf8))
        }
        for module in ["mpm_event.load", "authz_core.load", "socache_shmcb.load", "ssl.load", "ssl.conf"] {
            try enable("mods", module)
        }
        for configuration in ["security.conf", "certificates.conf"] { try enable("conf", configuration) }
        for site in ["000-default.conf", "shop.conf"] { try enable("sites", site) }

        let shop = try pki.issue("shop-old", dnsNames: ["shop.example.test", "www.shop.example.test"])
        let blog = try pki.issue("blog-old", dnsNames: ["blog.example.test"])
        for (source, name) in [(shop.certificate, "shop.pem"), (shop.key, "shop.key"), (blog.certificate, "blog.pem"),
                               (blog.key, "blog.key"), (pki.file("int.pem"), "chain.pem")] {
            try LocalFiles.writeAtomically(file("certs/\(name)"), contents: try LocalFiles.read(source),
                                           mode: name.hasSuffix(".key") ? 0o600 : 0o644)
        }
        if let owner {
            let chowned = try ProcessRunner.run("/bin/chown", ["-R", "\(owner.uid):\(owner.gid)", root])
            try #require(chowned.exitStatus == 0, "chown: \(chowned.standardErrorText)")
        }
    }

    func file(_ relative: String) -> String { "\(root)/\(relative)" }
    var configFile: String { file("apache2.conf") }
    var shopID: String { "shop.example.test@127.0.0.1:\(tlsPort)" }
    var blogID: String { "blog.example.test@127.0.0.1:\(tlsPort)" }
    var originalShopCertificate: String { pki.file("shop-old.pem") }
    var originalBlogCertificate: String { pki.file("blog-old.pem") }

    /// The `tls add` options that point og-host at this instance.
    func addOptions(apachectl: String = ApacheInstance.binary) -> [String] {
        ["--apachectl_path", apachectl, "--apache_server_root", root, "--apache_config_file", configFile]
    }

    private func enable(_ kind: String, _ name: String) throws {
        let link = file("\(kind)-enabled/\(name)")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "../\(kind)-available/\(name)")
    }

    /// The test process blocks signals in its threads and posix_spawn passes
    /// that mask on; httpd never unblocks SIGUSR1/SIGTERM itself, so without
    /// this it would ignore graceful restarts and stop requests. perl is in
    /// Debian's essential set.
    private static let unblockSignals = ["/usr/bin/perl", "-MPOSIX", "-e",
                                         "sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die $!; exec { $ARGV[0] } @ARGV or die $!"]

    func start() throws {
        var command = [Self.binary, "-d", root, "-f", configFile, "-DFOREGROUND"]
        if let owner {
            command = ["/usr/bin/setpriv", "--reuid=\(owner.uid)", "--regid=\(owner.gid)", "--clear-groups"] + command
        }
        command = Self.unblockSignals + command
        daemon = try SpawnedDaemon(command[0], Array(command.dropFirst()), port: tlsPort,
                                   logPath: file("logs/foreground.log"))
    }

    func stop() {
        daemon?.stop()
        daemon = nil
    }

    /// True while the httpd parent started by `start` is alive.
    var isRunning: Bool {
        guard let pid = daemon?.processID, pid > 0 else { return false }
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// The SHA-256 fingerprint of the leaf served for `serverName`, lowercase hex.
    func servedFingerprint(_ serverName: String, address: String = "127.0.0.1") throws -> String {
        let connect = address.contains(":") ? "[\(address)]:\(tlsPort)" : "\(address):\(tlsPort)"
        let handshake = try ProcessRunner.run("openssl", ["s_client", "-connect", connect, "-servername", serverName],
                                              timeout: .seconds(30))
        let fingerprint = try ProcessRunner.run("openssl", ["x509", "-noout", "-fingerprint", "-sha256"],
                                                standardInput: handshake.standardOutput)
        try #require(fingerprint.exitStatus == 0, "no certificate from \(connect) for \(serverName): \(handshake.standardErrorText)")
        return fingerprint.standardOutputText.split(separator: "=").last.map {
            $0.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        } ?? ""
    }

    /// Every configuration and certificate file, by path relative to the root
    /// (runtime files left out; a symlink as its target).
    func snapshot() -> [String: [UInt8]] {
        var contents: [String: [UInt8]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            if relative.hasPrefix("run") || relative.hasPrefix("logs") { continue }
            let path = file(relative)
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                contents[relative] = Array("-> \(target)".utf8)
                continue
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                contents[relative] = (try? LocalFiles.read(path)) ?? []
            }
        }
        return contents
    }

    var errorLog: String { (try? String(contentsOfFile: file("logs/error.log"), encoding: .utf8)) ?? "" }

    deinit { stop() }
}
