import Foundation
import OGBasics
import OGConnections
import OGMaterial
import OGTestSupport
import Testing

@Suite("REST connections to a real HTTPS appliance stand-in")
struct RESTConnectionTests {
    private func spec(_ type: ConnectionType, _ server: HTTPSTestServer, password: String? = nil) -> ConnectionSpec {
        ConnectionSpec(type: type, host: "127.0.0.1", port: Int(server.port), user: password == nil ? "" : "admin",
                       authentication: password.map { .password($0) } ?? .none)
    }

    @Test func restRejectsTheApplianceUntilItsCAIsATrustAnchor() throws {
        let server = try HTTPSTestServer()
        let connection = try #require(try ConnectionFactory.open(spec(.rest, server), hostKeyStore: nil) as? RESTConnection)
        #expect {
            try connection.send(method: "GET", path: "/echo")
        } throws: { error in
            guard case .identityRejected? = error as? HTTPError else { return false }
            return "\(error)".contains("trust anchor")
        }
        let anchored = try RESTConnection(spec: spec(.rest, server), additionalAnchors: [server.pki.caCertificate])
        #expect(try anchored.send(method: "GET", path: "/echo").status == 200)
        #expect(!anchored.skipsCertificateVerification)
    }

    @Test func restInsecureAcceptsTheApplianceCertificateAndSaysSo() throws {
        let server = try HTTPSTestServer()
        let connection = try #require(try ConnectionFactory.open(spec(.restInsecure, server), hostKeyStore: nil) as? RESTConnection)
        #expect(try connection.send(method: "GET", path: "echo").status == 200)
        #expect(connection.skipsCertificateVerification)
        #expect(connection.baseURL == "https://127.0.0.1:\(server.port)")
    }

    @Test func requestsCarryBasicAuthenticationFromTheEndpointCredential() throws {
        let server = try HTTPSTestServer()
        let connection = try RESTConnection(spec: spec(.restInsecure, server, password: "pa:ss"))
        let response = try connection.send(method: "POST", path: "/echo", body: Array("{}".utf8))
        let echo = try JSONDecoder().decode(EchoReply.self, from: Data(response.body))
        #expect(echo.headers["authorization"] == "Basic " + Data("admin:pa:ss".utf8).base64EncodedString())
        #expect(echo.method == "POST")
    }

    @Test func uploadsArriveWhole() throws {
        let server = try HTTPSTestServer()
        let connection = try RESTConnection(spec: spec(.restInsecure, server, password: "x"))
        let bytes = Array((0..<5000).map { UInt8($0 % 251) })
        try connection.upload(bytes, to: "/upload/cert.pem", chunkSize: 1024)
        #expect(try LocalFiles.read(server.uploadDirectory.file("cert.pem")) == bytes)
    }

    @Test func shellAndFileOperationsAreRefusedNamingTheConnectionType() throws {
        let connection = try RESTConnection(spec: ConnectionSpec(type: .rest, host: "appliance.example"))
        let failures: [() throws -> Void] = [
            { _ = try connection.run(["true"]) },
            { _ = try connection.readFile("/etc/hosts") },
            { try connection.writeFileAtomically("/tmp/x", contents: []) },
            { _ = try connection.stat("/") },
            { _ = try connection.listDirectory("/") },
            { try connection.makeDirectory("/tmp/x") },
            { try connection.remove("/tmp/x") },
        ]
        for operation in failures {
            #expect {
                try operation()
            } throws: { error in
                guard case .notSupported(let message)? = error as? ConnectionError else { return false }
                return message.contains("connection type rest cannot")
            }
        }
    }

    @Test func anSSHKeyIsRefusedAsARESTCredential() {
        #expect(throws: ConnectionError.self) {
            try RESTConnection(spec: ConnectionSpec(type: .rest, host: "a.example", user: "u",
                                                    authentication: .privateKey(path: "/k", passphrase: nil)))
        }
    }

    @Test func aClosedConnectionSendsNothing() throws {
        let connection = try RESTConnection(spec: ConnectionSpec(type: .restInsecure, host: "127.0.0.1", port: 9))
        connection.close()
        #expect(throws: ConnectionError.self) { try connection.send(method: "GET", path: "/") }
    }
}
