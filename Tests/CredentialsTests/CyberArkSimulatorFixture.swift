import Foundation
import OGBasics
import OGConnections
import OGCredentials
import OGMaterial
import OGTestSupport
import Testing

/// An openssl-made CA with a server certificate for 127.0.0.1 and a client
/// certificate (CN og-gateway), all in a private directory.
final class CyberArkTestPKI: @unchecked Sendable {
    let directory: TemporaryDirectory
    var caPath: String { directory.file("ca.pem") }
    var serverCertificatePath: String { directory.file("server.pem") }
    var serverKeyPath: String { directory.file("server.key") }
    var clientCertificatePath: String { directory.file("client.pem") }
    var clientKeyPath: String { directory.file("client.key") }

    init() throws {
        directory = try TemporaryDirectory("og-ccp-pki")
        try #require(ProcessRunner.findExecutable("openssl") != nil, "openssl is missing: install the Debian package openssl")
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", directory.file("ca.key"),
                     "-out", caPath, "-days", "2", "-subj", "/CN=OG Test CCP CA"])
        try issue("server", subject: "/CN=127.0.0.1", extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth")
        try issue("client", subject: "/CN=og-gateway", extensions: "extendedKeyUsage=clientAuth")
    }

    private func issue(_ name: String, subject: String, extensions: String) throws {
        let extensionsPath = directory.file("\(name).ext")
        try Data(extensions.utf8).write(to: URL(fileURLWithPath: extensionsPath))
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", directory.file("\(name).key"),
                     "-out", directory.file("\(name).csr"), "-subj", subject])
        try openssl(["x509", "-req", "-in", directory.file("\(name).csr"), "-CA", caPath, "-CAkey", directory.file("ca.key"),
                     "-CAcreateserial", "-out", directory.file("\(name).pem"), "-days", "2", "-extfile", extensionsPath])
    }

    /// The client certificate and key as a PKCS#12 file protected by the password read from standard input.
    func clientPKCS12(password: String) throws -> String {
        let path = directory.file("client.p12")
        try openssl(["pkcs12", "-export", "-in", clientCertificatePath, "-inkey", clientKeyPath, "-out", path, "-passout", "stdin"],
                    standardInput: Array("\(password)\n".utf8))
        return path
    }

    func clientIdentity() throws -> HTTPClientIdentity {
        HTTPClientIdentity(certificatePEM: try String(contentsOfFile: clientCertificatePath, encoding: .utf8),
                           privateKeyPEM: try String(contentsOfFile: clientKeyPath, encoding: .utf8))
    }

    func caCertificate() throws -> Certificate {
        try Certificate(pem: try String(contentsOfFile: caPath, encoding: .utf8))
    }

    private func openssl(_ arguments: [String], standardInput: [UInt8] = []) throws {
        let result = try ProcessRunner.run("openssl", arguments, standardInput: standardInput)
        try #require(result.exitStatus == 0, "openssl \(arguments.first ?? ""): \(result.standardErrorText)")
    }
}

/// Tests/Fixtures/cyberark/ccp_sim.py over TLS on a free loopback port.
final class CyberArkSimulatorFixture: @unchecked Sendable {
    enum ClientCertificates: String { case none, required, optional }

    let directory: TemporaryDirectory
    let port: UInt16
    let daemon: SpawnedDaemon
    let url: String

    init(pki: CyberArkTestPKI, applications: [String: Any], accounts: [[String: String]],
         clientCertificates: ClientCertificates = .none) throws {
        directory = try TemporaryDirectory("og-ccp")
        let configPath = directory.file("config.json")
        try JSONSerialization.data(withJSONObject: ["applications": applications, "accounts": accounts])
            .write(to: URL(fileURLWithPath: configPath))
        port = Loopback.freePort()
        var arguments = [BuiltProducts.repositoryRoot + "/Tests/Fixtures/cyberark/ccp_sim.py", String(port), configPath,
                         pki.serverCertificatePath, pki.serverKeyPath]
        if clientCertificates != .none { arguments += [pki.caPath, clientCertificates.rawValue] }
        daemon = try SpawnedDaemon(try VaultSimulatorFixture.python(), arguments, port: port, logPath: directory.file("ccp.log"))
        url = "https://127.0.0.1:\(port)"
    }

    deinit { daemon.stop() }

    /// Sends through an HTTPClient that trusts `anchors` and presents `identity`.
    static func send(anchors: [Certificate], identity: HTTPClientIdentity? = nil) throws -> StoreHTTP.Send {
        let client = try HTTPClient(HTTPClientConfiguration(trust: .verify(additionalAnchors: anchors), clientIdentity: identity,
                                                            connectAttempts: 1))
        return { request in
            let response = try client.send(HTTPRequest(method: request.method, url: request.url,
                                                       headers: request.headers.map { ($0.name, $0.value.exposedString()) }))
            return StoreHTTP.Response(status: response.status, body: Secret(bytes: response.body))
        }
    }
}
