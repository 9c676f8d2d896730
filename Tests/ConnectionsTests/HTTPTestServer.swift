import Foundation
import OGBasics
import OGConnections
import OGMaterial
import OGTestSupport
import Testing

/// Fails the test, naming the Debian package, when a tool it needs is absent.
func requireTool(_ tool: String, package: String) throws {
    let found = ["/usr/bin", "/usr/sbin", "/bin", "/usr/local/bin"].contains { LocalFiles.exists("\($0)/\(tool)") }
    try #require(found, "\(tool) is missing: install the Debian package \(package)")
}

/// A private CA, made with the openssl CLI, that issues a server certificate
/// for 127.0.0.1/localhost and a client certificate.
struct HTTPTestPKI {
    let directory: TemporaryDirectory

    init() throws {
        try requireTool("openssl", package: "openssl")
        directory = try TemporaryDirectory("og-http-pki")
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", file("ca.key"), "-out", file("ca.pem"), "-days", "2", "-subj", "/CN=og-http-test CA",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try issue("server", subject: "127.0.0.1", extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        try issue("client", subject: "og-http-client", extensions: "extendedKeyUsage=clientAuth\n")
    }

    func file(_ name: String) -> String { directory.file(name) }

    func text(_ name: String) throws -> String { String(decoding: try LocalFiles.read(file(name)), as: UTF8.self) }

    var caCertificate: Certificate { get throws { try Certificate(pem: try text("ca.pem")) } }

    var clientIdentity: HTTPClientIdentity {
        get throws { HTTPClientIdentity(certificatePEM: try text("client.pem"), privateKeyPEM: try text("client.key")) }
    }

    private func issue(_ name: String, subject: String, extensions: String) throws {
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", file("\(name).key"),
                     "-out", file("\(name).csr"), "-subj", "/CN=\(subject)"])
        try LocalFiles.writeAtomically(file("\(name).ext"), contents: Array(extensions.utf8))
        try openssl(["x509", "-req", "-in", file("\(name).csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"),
                     "-CAcreateserial", "-out", file("\(name).pem"), "-days", "2", "-extfile", file("\(name).ext")])
    }

    private func openssl(_ arguments: [String]) throws {
        let output = try ProcessRunner.run("openssl", arguments)
        try #require(output.exitStatus == 0, "openssl \(arguments.first ?? ""): \(output.standardErrorText)")
    }
}

/// Tests/Fixtures/http/https_server.py on a free loopback port, stopped by PID.
final class HTTPSTestServer {
    let pki: HTTPTestPKI
    let port: UInt16
    let uploadDirectory: TemporaryDirectory
    private let daemon: SpawnedDaemon

    init(requireClientCertificate: Bool = false) throws {
        try requireTool("python3", package: "python3")
        pki = try HTTPTestPKI()
        uploadDirectory = try TemporaryDirectory("og-http-uploads")
        port = Loopback.freePort()
        let script = BuiltProducts.repositoryRoot + "/Tests/Fixtures/http/https_server.py"
        var arguments = [script, "--port", "\(port)", "--cert", pki.file("server.pem"), "--key", pki.file("server.key"),
                         "--upload-dir", uploadDirectory.path]
        if requireClientCertificate { arguments += ["--client-ca", pki.file("ca.pem")] }
        daemon = try SpawnedDaemon("/usr/bin/python3", arguments, port: port, logPath: uploadDirectory.file("server.log"))
    }

    func url(_ path: String) -> String { "https://127.0.0.1:\(port)\(path)" }

    var log: String { (try? String(contentsOfFile: daemon.logPath, encoding: .utf8)) ?? "" }

    func stop() { daemon.stop() }

    deinit { daemon.stop() }
}

/// The JSON /echo answers with.
struct EchoReply: Decodable {
    let method: String
    let clientPort: Int
    let headers: [String: String]
    let bodyLength: Int
}
