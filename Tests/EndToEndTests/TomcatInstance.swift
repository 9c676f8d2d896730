import Foundation
import OGBasics
import OGTestSupport
import Testing

/// A real Debian tomcat10 for one test: CATALINA_HOME is the package's
/// /usr/share/tomcat10, CATALINA_BASE a private directory holding
/// Tests/Fixtures/tomcat/server.xml with a JKS, a PKCS#12 and a PEM
/// connector (two SNI names) on free 127.0.0.1 ports. Started with
/// catalina.sh start, as og-host restarts it, and stopped by the PID in
/// CATALINA_PID.
final class TomcatInstance: @unchecked Sendable {
    static let home = "/usr/share/tomcat10"
    let base: String
    let httpPort = Loopback.freePort()
    let jksPort = Loopback.freePort()
    let p12Port = Loopback.freePort()
    let pemPort = Loopback.freePort()
    /// With "&" in it, written as &amp; in server.xml, so the entity has to be read right.
    let password = "store-&-\(UInt16.random(in: 1000...9999))"
    let pki: TestPKI
    private let directoryOwner: AnyObject
    private let owner: SSHTestUser?

    /// With `owner` the files belong to that account and Tomcat runs as it,
    /// as under a remote operator account reached over SSH.
    init(in directory: String, ownedBy directoryOwner: AnyObject, pki: TestPKI, owner: SSHTestUser? = nil) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.home + "/bin/catalina.sh"),
                     "\(Self.home)/bin/catalina.sh is missing: install the Debian package tomcat10")
        try #require(ProcessRunner.findExecutable("keytool", environment: nil) != nil,
                     "keytool is missing: install the Debian package openjdk-17-jdk-headless")
        base = directory
        self.directoryOwner = directoryOwner
        self.owner = owner
        self.pki = pki
        for folder in ["conf", "conf/tls", "logs", "temp", "webapps", "work"] { try LocalFiles.makeDirectory(file(folder)) }
        for name in ["web.xml", "logging.properties", "catalina.properties", "context.xml", "tomcat-users.xml"] {
            try LocalFiles.writeAtomically(file("conf/\(name)"), contents: try LocalFiles.read("\(Self.home)/etc/\(name)"))
        }
        let template = String(decoding: try LocalFiles.read(BuiltProducts.repositoryRoot + "/Tests/Fixtures/tomcat/server.xml"),
                              as: UTF8.self)
        let rendered = template
            .replacingOccurrences(of: "@HTTP_PORT@", with: String(httpPort))
            .replacingOccurrences(of: "@JKS_PORT@", with: String(jksPort))
            .replacingOccurrences(of: "@P12_PORT@", with: String(p12Port))
            .replacingOccurrences(of: "@PEM_PORT@", with: String(pemPort))
            .replacingOccurrences(of: "@PASSWORD@", with: password.replacingOccurrences(of: "&", with: "&amp;"))
        try LocalFiles.writeAtomically(serverXML, contents: Array(rendered.utf8))

        let jks = try pki.issue("jks-old", dnsNames: ["jks.example.test"], key: "rsa")
        let p12 = try pki.issue("p12-old", dnsNames: ["p12.example.test"])
        let a = try pki.issue("a-old", dnsNames: ["a.example.test"])
        let b = try pki.issue("b-old", dnsNames: ["b.example.test"])
        try exportPKCS12(jks, alias: "tomcat", to: pki.file("jks-old.p12"))
        let converted = try ProcessRunner.run("keytool", [
            "-importkeystore", "-srckeystore", pki.file("jks-old.p12"), "-srcstoretype", "PKCS12",
            "-srcstorepass:env", "STORE_PASS", "-destkeystore", file("conf/tls/store.jks"), "-deststoretype", "JKS",
            "-deststorepass:env", "STORE_PASS", "-destkeypass:env", "STORE_PASS", "-noprompt",
        ], environment: passwordEnvironment)
        try #require(converted.exitStatus == 0, "keytool: \(converted.standardErrorText)\(converted.standardOutputText)")
        try exportPKCS12(p12, alias: "shop", to: file("conf/tls/store.p12"))
        for (source, name) in [(a.certificate, "a.pem"), (a.key, "a.key"), (b.certificate, "b.pem"), (b.key, "b.key"),
                               (pki.file("int.pem"), "chain.pem")] {
            try LocalFiles.writeAtomically(file("conf/tls/\(name)"), contents: try LocalFiles.read(source),
                                           mode: name.hasSuffix(".key") ? 0o600 : 0o644)
        }
        if let owner {
            let chowned = try ProcessRunner.run("/bin/chown", ["-R", "\(owner.uid):\(owner.gid)", base])
            try #require(chowned.exitStatus == 0, "chown: \(chowned.standardErrorText)")
        }
    }

    /// The Debian tomcat10-admin package's manager webapp, for JMX reloads.
    static let managerDocBase = "/usr/share/tomcat10-admin/manager"

    /// Deploys the manager webapp on the plain HTTP connector (call before
    /// `start`), with one user of role manager-jmx in conf/tomcat-users.xml read
    /// by a MemoryRealm of the manager's own, so the fixture's server.xml stays
    /// as it is. Only loopback clients are admitted, as Debian ships it.
    func deployManager(user: String, password: String) throws {
        try #require(FileManager.default.fileExists(atPath: Self.managerDocBase + "/WEB-INF/web.xml"),
                     "\(Self.managerDocBase) is missing: install the Debian package tomcat10-admin")
        try LocalFiles.makeDirectory(file("conf/Catalina/localhost"))
        let context = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Context docBase="\(Self.managerDocBase)" privileged="true" antiResourceLocking="false">
              <Realm className="org.apache.catalina.realm.MemoryRealm" pathname="conf/tomcat-users.xml" />
              <Valve className="org.apache.catalina.valves.RemoteAddrValve" allow="127\\.\\d+\\.\\d+\\.\\d+" />
            </Context>

            """
        try LocalFiles.writeAtomically(file("conf/Catalina/localhost/manager.xml"), contents: Array(context.utf8))
        let users = """
            <?xml version="1.0" encoding="UTF-8"?>
            <tomcat-users>
              <role rolename="manager-jmx" />
              <user username="\(user)" password="\(password)" roles="manager-jmx" />
            </tomcat-users>

            """
        try LocalFiles.writeAtomically(file("conf/tomcat-users.xml"), contents: Array(users.utf8), mode: 0o600)
    }

    /// The manager's address, on the fixture's plain HTTP connector.
    var managerURL: String { "http://127.0.0.1:\(httpPort)/manager" }

    func file(_ relative: String) -> String { "\(base)/\(relative)" }
    var serverXML: String { file("conf/server.xml") }
    var pidFile: String { file("temp/catalina.pid") }
    var tlsPorts: [UInt16] { [jksPort, p12Port, pemPort] }

    private var passwordEnvironment: [String: String] {
        EnvironmentVariable.all().merging(["STORE_PASS": password]) { $1 }
    }

    private func exportPKCS12(_ leaf: (certificate: String, key: String), alias: String, to path: String) throws {
        let exported = try ProcessRunner.run("openssl", [
            "pkcs12", "-export", "-in", leaf.certificate, "-inkey", leaf.key, "-certfile", pki.file("int.pem"),
            "-name", alias, "-out", path, "-passout", "env:STORE_PASS",
        ], environment: passwordEnvironment)
        try #require(exported.exitStatus == 0, "openssl pkcs12: \(exported.standardErrorText)")
    }

    /// The `tls add` options for this instance; the password comes from $STORE_PASS.
    var addOptions: [String] {
        ["--tomcat_dir", Self.home, "--tomcat_base", base, "--keystore_password", "env:STORE_PASS", "--start_timeout", "120"]
    }

    var addEnvironment: [String: String] { ["STORE_PASS": password] }

    /// `tls add tomcat --name tc` for this instance over a local connection (plus `extra`), through `fixture`.
    func addLocalEndpoint(to fixture: GatewayFixture, _ extra: [String] = []) throws {
        let added = try fixture.run(["tls", "add", "tomcat", "--name", "tc", "--connection_type", "local"] + addOptions + extra,
                                    extraEnvironment: addEnvironment)
        try #require(added.exitStatus == 0, "tls add: \(added.standardErrorText)")
    }

    /// Starts Tomcat the way og-host restarts it (catalina.sh start through
    /// posix_spawn, so no test descriptor leaks into the JVM) and waits until
    /// every TLS connector listens.
    func start() throws {
        var command = ["/usr/bin/env", "CATALINA_HOME=\(Self.home)", "CATALINA_BASE=\(base)", "CATALINA_PID=\(pidFile)",
                       Self.home + "/bin/catalina.sh", "start"]
        if let owner {
            command = ["/usr/bin/setpriv", "--reuid=\(owner.uid)", "--regid=\(owner.gid)", "--clear-groups"] + command
        }
        command = Self.unblockSignals + command
        _ = try SpawnedDaemon(command[0], Array(command.dropFirst()), port: p12Port, logPath: file("logs/start.log"),
                              timeout: 120)
        for port in tlsPorts {
            try #require(Loopback.waitForListener(port: port, timeout: 120), "Tomcat does not listen on \(port): \(catalinaOut)")
        }
    }

    /// The test process blocks signals in its threads and posix_spawn passes
    /// that mask on, so the JVM would not see the SIGTERM that stops it. perl
    /// is in Debian's essential set.
    private static let unblockSignals = ["/usr/bin/perl", "-MPOSIX", "-e",
                                         "sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die $!; exec { $ARGV[0] } @ARGV or die $!"]

    /// The JVM whose id catalina.sh wrote, if it is alive (zombies count as gone).
    var processID: pid_t? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else { return nil }
        guard kill(pid, 0) == 0 else { return nil }
        let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?
            .split(separator: ")").last?.split(separator: " ").first
        return state == "Z" ? nil : pid
    }

    /// SIGTERM, then SIGKILL after 20 s, to the JVM in CATALINA_PID. The PID file goes too: a JVM
    /// left as a zombie (nobody reaps it in a container without an init) would make a later
    /// `catalina.sh start` refuse ("Tomcat appears to still be running").
    func stop() {
        defer { if processID == nil { unlink(pidFile) } }
        guard let pid = processID else { return }
        kill(pid, SIGTERM)
        for _ in 0..<200 {
            if processID == nil { return }
            usleep(100_000)
        }
        kill(pid, SIGKILL)
        for _ in 0..<50 where processID != nil { usleep(100_000) }
    }

    /// The SHA-256 fingerprint of the leaf served on `port` (with SNI `serverName`), lowercase hex.
    func servedFingerprint(port: UInt16, serverName: String? = nil) throws -> String {
        var arguments = ["s_client", "-connect", "127.0.0.1:\(port)"]
        if let serverName { arguments += ["-servername", serverName] }
        let handshake = try ProcessRunner.run("openssl", arguments, timeout: .seconds(30))
        let fingerprint = try ProcessRunner.run("openssl", ["x509", "-noout", "-fingerprint", "-sha256"],
                                                standardInput: handshake.standardOutput)
        try #require(fingerprint.exitStatus == 0, "no certificate on \(port): \(handshake.standardErrorText)")
        return fingerprint.standardOutputText.split(separator: "=").last.map {
            $0.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        } ?? ""
    }

    /// Every file under conf/, by path relative to it.
    func snapshot() -> [String: [UInt8]] {
        var contents: [String: [UInt8]] = [:]
        let conf = file("conf")
        let enumerator = FileManager.default.enumerator(atPath: conf)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = "\(conf)/\(relative)"
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                contents[relative] = (try? LocalFiles.read(path)) ?? []
            }
        }
        return contents
    }

    var catalinaOut: String { (try? String(contentsOfFile: file("logs/catalina.out"), encoding: .utf8)) ?? "" }

    deinit { stop() }
}
