import Foundation
import OGBasics
import OGConnections
import OGTestSupport

/// Tests/Fixtures/winrm/winrm_server.py on a loopback port, over HTTP (NTLM,
/// sealed messages required) or HTTPS (certificate from a private CA made
/// with the openssl CLI; Basic and NTLM accepted), with its own directory.
final class WinRMServerFixture {
    let port: UInt16
    let user = "ogtest"
    /// Contains a space and a colon-free mix so quoting and Basic encoding are exercised.
    let password = "Wi nRM-\(UUID().uuidString.prefix(8))!"
    let directory: TemporaryDirectory
    /// Where tests may create files (the server performs file operations here).
    let workDirectory: String
    /// PEM of the CA that issued the HTTPS certificate; empty over HTTP.
    private(set) var caCertificate: [UInt8] = []
    let https: Bool
    private let server: SpawnedDaemon

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/winrm/winrm_server.py").path

    init(https: Bool) throws {
        let python = try Self.pythonWithModules()
        self.https = https
        directory = try TemporaryDirectory("og-winrm")
        workDirectory = directory.file("work")
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        // The password goes to the server in a 0600 file, never on its command line.
        let credentials = directory.file("credentials")
        FileManager.default.createFile(atPath: credentials, contents: Data("\(user):\(password)".utf8),
                                       attributes: [.posixPermissions: 0o600])
        port = Loopback.freePort()
        var arguments = [Self.script, "--port", String(port), "--credentials", credentials, "--log", directory.file("requests.jsonl")]
        if https {
            caCertificate = try Self.makeCertificates(in: directory)
            arguments += ["--cert", directory.file("server.pem"), "--key", directory.file("server.key")]
        } else {
            arguments.append("--require-encryption")
        }
        server = try SpawnedDaemon(python, arguments, port: port, logPath: directory.file("server.log"))
    }

    var type: ConnectionType { https ? .winrmHTTPS : .winrmHTTP }

    func spec(_ type: ConnectionType? = nil, password: String? = nil, operationTimeout: Duration = .seconds(60)) -> ConnectionSpec {
        ConnectionSpec(type: type ?? self.type, host: "127.0.0.1", port: Int(port), user: user,
                       authentication: .password(password ?? self.password), operationTimeout: operationTimeout)
    }

    func connect(authentication: WinRMAuthentication = .ntlm, trusted: Bool = true) throws -> WinRMConnection {
        try WinRMConnection(spec: spec(), authentication: authentication, trustedCertificates: trusted ? caCertificate : [])
    }

    func path(_ name: String) -> String { "\(workDirectory)/\(name)" }

    /// One dictionary per request the server handled, in order.
    func requests() throws -> [[String: Any]] {
        let text = (try? String(contentsOfFile: directory.file("requests.jsonl"), encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }

    func stop() { server.stop() }
    deinit { server.stop() }

    /// python3 able to import spnego and winrm, installing them from PyPI when missing.
    static func pythonWithModules() throws -> String {
        guard let python = ProcessRunner.findExecutable("python3") else {
            throw SSHFixtureError.setup("python3 is missing: install the Debian package python3")
        }
        let check = try ProcessRunner.run(python, ["-c", "import spnego, winrm"])
        if check.exitStatus == 0 { return python }
        let install = try ProcessRunner.run(python, ["-m", "pip", "install", "--quiet", "pyspnego", "pywinrm"],
                                            timeout: .seconds(300))
        guard install.exitStatus == 0 else {
            throw SSHFixtureError.setup("the WinRM test server needs the PyPI packages pyspnego and pywinrm, and "
                                        + "`python3 -m pip install pyspnego pywinrm` failed (Debian package python3-pip "
                                        + "provides pip): \(install.standardErrorText)")
        }
        return python
    }

    /// A private CA and a server certificate for 127.0.0.1 it issued; returns the CA's PEM.
    private static func makeCertificates(in directory: TemporaryDirectory) throws -> [UInt8] {
        guard let openssl = ProcessRunner.findExecutable("openssl") else {
            throw SSHFixtureError.setup("openssl is missing: install the Debian package openssl")
        }
        func run(_ arguments: [String]) throws {
            let result = try ProcessRunner.run(openssl, arguments, workingDirectory: directory.path)
            guard result.exitStatus == 0 else {
                throw SSHFixtureError.setup("openssl \(arguments.first ?? "") failed: \(result.standardErrorText)")
            }
        }
        try run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                 "-subj", "/CN=og-host WinRM test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                 "-subj", "/CN=127.0.0.1"])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
            .write(toFile: directory.file("server.ext"), atomically: true, encoding: .utf8)
        try run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", "server.pem", "-days", "2", "-extfile", "server.ext"])
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory.file("ca.pem"))))
    }
}
