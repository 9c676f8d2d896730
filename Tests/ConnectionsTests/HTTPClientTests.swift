import Foundation
import OGBasics
import OGConnections
import OGMaterial
import OGTestSupport
import Testing

@Suite("HTTP client against a real HTTPS server")
struct HTTPClientTests {
    @Test func verifyingClientRejectsServerIssuedByUnknownCA() throws {
        let server = try HTTPSTestServer()
        let client = try HTTPClient(HTTPClientConfiguration(trust: .system, connectAttempts: 1))
        #expect {
            try client.send(HTTPRequest(url: server.url("/echo")))
        } throws: { error in
            guard case .identityRejected(let url, _)? = error as? HTTPError else { return false }
            return url == server.url("/echo")
        }
    }

    @Test func verifyingClientAcceptsServerOnceItsCAIsATrustAnchor() throws {
        let server = try HTTPSTestServer()
        let client = try HTTPClient(HTTPClientConfiguration(trust: .verify(additionalAnchors: [server.pki.caCertificate])))
        let response = try client.send(HTTPRequest(url: server.url("/echo")))
        #expect(response.status == 200)
        #expect(response.header("x-og-test") == "fixture")
        #expect(try JSONDecoder().decode(EchoReply.self, from: Data(response.body)).method == "GET")
    }

    @Test func anchorsGivenAsPEMAreTrustedToo() throws {
        let server = try HTTPSTestServer()
        let client = try HTTPClient(HTTPClientConfiguration(trust: try .verify(additionalAnchorsPEM: server.pki.text("ca.pem"))))
        #expect(try client.send(HTTPRequest(url: server.url("/echo"))).status == 200)
    }

    @Test func insecureClientAcceptsAnyServerCertificate() throws {
        let server = try HTTPSTestServer()
        let client = try HTTPClient(HTTPClientConfiguration(trust: .insecure))
        #expect(try client.send(HTTPRequest(url: server.url("/echo"))).status == 200)
    }

    @Test func clientCertificateIsPresentedWhenTheServerRequiresOne() throws {
        let server = try HTTPSTestServer(requireClientCertificate: true)
        let client = try HTTPClient(HTTPClientConfiguration(trust: .verify(additionalAnchors: [server.pki.caCertificate]),
                                                            clientIdentity: server.pki.clientIdentity))
        #expect(try client.send(HTTPRequest(url: server.url("/echo"))).status == 200)
    }

    @Test func requestWithoutClientCertificateFailsWhenTheServerRequiresOne() throws {
        let server = try HTTPSTestServer(requireClientCertificate: true)
        let client = try HTTPClient(HTTPClientConfiguration(trust: .verify(additionalAnchors: [server.pki.caCertificate]),
                                                            connectAttempts: 1))
        #expect {
            try client.send(HTTPRequest(url: server.url("/echo")))
        } throws: { error in
            switch error as? HTTPError {
            case .tlsFailed?, .transferFailed?: return true
            default: return false
            }
        }
    }

    @Test func slowAnswerTimesOut() throws {
        let server = try HTTPSTestServer()
        let client = try HTTPClient(HTTPClientConfiguration(trust: .insecure))
        #expect(throws: HTTPError.timedOut(url: server.url("/slow"), after: .seconds(1))) {
            try client.send(HTTPRequest(url: server.url("/slow?seconds=8"), timeout: .seconds(1)))
        }
    }

    @Test func refusedConnectionIsReportedWithoutCredentialsOrQuery() throws {
        let port = Loopback.freePort()
        let client = try HTTPClient(HTTPClientConfiguration(connectAttempts: 2, retryDelay: .milliseconds(10)))
        let error = try #require(throws: HTTPError.self) {
            try client.send(HTTPRequest(url: "https://admin:hunter2@127.0.0.1:\(port)/api?token=abc123"))
        }
        guard case .couldNotConnect(let url, _) = error else {
            Issue.record("expected couldNotConnect, got \(error)")
            return
        }
        #expect(url == "https://127.0.0.1:\(port)/api")
        #expect(!error.description.contains("hunter2"))
        #expect(!error.description.contains("abc123"))
    }

    @Test func consecutiveRequestsReuseOneConnection() throws {
        let server = try HTTPSTestServer()
        let client = try HTTPClient(HTTPClientConfiguration(trust: .insecure))
        let first = try JSONDecoder().decode(EchoReply.self, from: Data(client.send(HTTPRequest(url: server.url("/echo"))).body))
        let second = try JSONDecoder().decode(EchoReply.self, from: Data(client.send(HTTPRequest(url: server.url("/echo"))).body))
        #expect(first.clientPort == second.clientPort)
    }

    @Test func oneClientServesSeveralThreadsOneRequestAtATime() throws {
        let server = try HTTPSTestServer()
        let client = try HTTPClient(HTTPClientConfiguration(trust: .insecure))
        let statuses = StatusCollector()
        let url = server.url("/echo")
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            let response = try? client.send(HTTPRequest(method: "PUT", url: url, body: Array(repeating: 7, count: index)))
            let echo = response.flatMap { try? JSONDecoder().decode(EchoReply.self, from: Data($0.body)) }
            statuses.add(echo?.bodyLength == index ? 200 : (response?.status ?? -1))
        }
        #expect(statuses.all == Array(repeating: 200, count: 8))
    }

    @Test func methodHeadersBodyAndBasicAuthenticationReachTheServer() throws {
        let server = try HTTPSTestServer()
        let client = try HTTPClient(HTTPClientConfiguration(
            trust: .insecure, basicAuthentication: HTTPBasicCredentials(user: "admin", password: "s3cret")))
        let response = try client.send(HTTPRequest(method: "PUT", url: server.url("/echo"),
                                                   headers: [("X-Request-Id", "42")], body: Array("hello".utf8)))
        let echo = try JSONDecoder().decode(EchoReply.self, from: Data(response.body))
        #expect(echo.method == "PUT")
        #expect(echo.bodyLength == 5)
        #expect(echo.headers["x-request-id"] == "42")
        #expect(echo.headers["authorization"] == "Basic " + Data("admin:s3cret".utf8).base64EncodedString())
    }

    @Test func nonSuccessStatusIsAnAnswerUntilRequired() throws {
        let server = try HTTPSTestServer()
        let client = try HTTPClient(HTTPClientConfiguration(trust: .insecure))
        let response = try client.send(HTTPRequest(url: server.url("/missing")))
        #expect(response.status == 404)
        #expect(throws: HTTPError.self) { try response.requireSuccess(url: server.url("/missing")) }
    }

    @Test func chunkedUploadIsReassembledByTheServer() throws {
        let server = try HTTPSTestServer()
        let client = try HTTPClient(HTTPClientConfiguration(trust: .insecure))
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<100_003).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let last = try client.uploadInChunks(server.url("/upload/blob.bin"), bytes: bytes, chunkSize: 8192)
        #expect(last.text.contains("\"end\": 100002"))
        #expect(try LocalFiles.read(server.uploadDirectory.file("blob.bin")) == bytes)
        #expect(server.log.components(separatedBy: "POST /upload/blob.bin").count - 1 == 13)
    }

    @Test func chunkedUploadStopsAtTheFirstRefusedPiece() throws {
        let server = try HTTPSTestServer()
        let client = try HTTPClient(HTTPClientConfiguration(trust: .insecure))
        #expect {
            try client.uploadInChunks(server.url("/elsewhere"), bytes: Array(repeating: 1, count: 50), chunkSize: 10)
        } throws: { error in
            guard case .unexpectedStatus(_, let status, _)? = error as? HTTPError else { return false }
            return status == 404
        }
        #expect(server.log.components(separatedBy: "POST /elsewhere").count - 1 == 1)
    }

    @Test func malformedRequestsAreRefusedBeforeSending() throws {
        let client = try HTTPClient()
        #expect(throws: HTTPError.invalidArgument(field: "url", problem: "\"ftp://example.com/\" is not an http:// or https:// URL")) {
            try client.send(HTTPRequest(url: "ftp://example.com/"))
        }
        #expect(throws: HTTPError.self) {
            try client.send(HTTPRequest(url: "https://127.0.0.1/", headers: [("X-Bad", "a\r\nInjected: yes")]))
        }
        #expect(throws: HTTPError.self) { try client.uploadInChunks("https://127.0.0.1/", bytes: [1], chunkSize: 0) }
    }

    @Test func onlyIdempotentMethodsAreRetried() {
        #expect(HTTPRequest(method: "GET", url: "https://x/").isIdempotent)
        #expect(HTTPRequest(method: "delete", url: "https://x/").isIdempotent)
        #expect(!HTTPRequest(method: "POST", url: "https://x/").isIdempotent)
        #expect(!HTTPRequest(method: "PATCH", url: "https://x/").isIdempotent)
    }
}

/// Results gathered from several threads.
private final class StatusCollector: @unchecked Sendable {
    // `values` is only touched while `lock` is held.
    private let lock = Locked()
    private var values: [Int] = []
    func add(_ value: Int) { lock.withLock { values.append(value) } }
    var all: [Int] { lock.withLock { values } }
}
