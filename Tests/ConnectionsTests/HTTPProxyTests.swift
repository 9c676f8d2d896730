import Foundation
import OGConnections
import OGTestSupport
import Testing

@Suite("HTTP client through a real tinyproxy")
struct HTTPProxyTests {
    @Test func requestsGoThroughTheConfiguredProxy() throws {
        let server = try HTTPSTestServer()
        let proxy = try TinyproxyServer()
        let client = try HTTPClient(HTTPClientConfiguration(trust: .verify(additionalAnchors: [server.pki.caCertificate]),
                                                            proxy: HTTPProxy(host: "127.0.0.1", port: Int(proxy.port))))
        let response = try client.send(HTTPRequest(url: server.url("/echo")))
        #expect(response.status == 200)
        #expect(response.header("X-Og-Test") == "fixture")
        #expect(proxy.sawConnect(toPort: server.port), "tinyproxy log:\n\(proxy.log)")
    }

    @Test func withoutAProxyRequestsGoDirect() throws {
        let server = try HTTPSTestServer()
        let proxy = try TinyproxyServer()
        let client = try HTTPClient(HTTPClientConfiguration(trust: .insecure))
        #expect(try client.send(HTTPRequest(url: server.url("/echo"))).status == 200)
        #expect(!proxy.sawConnect(toPort: server.port))
    }

    @Test func loopbackBypassReachesLoopbackDirectly() throws {
        let server = try HTTPSTestServer()
        let proxy = try TinyproxyServer()
        let client = try HTTPClient(HTTPClientConfiguration(
            trust: .insecure, proxy: HTTPProxy(host: "127.0.0.1", port: Int(proxy.port), bypassLoopback: true)))
        #expect(try client.send(HTTPRequest(url: server.url("/echo"))).status == 200)
        #expect(!proxy.sawConnect(toPort: server.port))
    }

    @Test func proxyAuthenticationIsSentWhenConfigured() throws {
        let server = try HTTPSTestServer()
        let proxy = try TinyproxyServer(login: ("ops", "pr0xy"))
        let anonymous = try HTTPClient(HTTPClientConfiguration(
            trust: .insecure, proxy: HTTPProxy(host: "127.0.0.1", port: Int(proxy.port))))
        #expect {
            try anonymous.send(HTTPRequest(url: server.url("/echo")))
        } throws: { error in
            guard case .proxyFailed(_, _, let reason)? = error as? HTTPError else { return false }
            return reason.contains("407")
        }
        let authenticated = try HTTPClient(HTTPClientConfiguration(
            trust: .insecure, proxy: HTTPProxy(host: "127.0.0.1", port: Int(proxy.port), user: "ops", password: "pr0xy")))
        #expect(try authenticated.send(HTTPRequest(url: server.url("/echo"))).status == 200)
        #expect(proxy.sawConnect(toPort: server.port))
    }

    @Test func unreachableProxyIsReportedAsAProxyFailure() throws {
        let server = try HTTPSTestServer()
        let deadPort = Int(Loopback.freePort())
        let client = try HTTPClient(HTTPClientConfiguration(
            trust: .insecure, proxy: HTTPProxy(host: "127.0.0.1", port: deadPort, user: "ops", password: "pr0xy"),
            connectAttempts: 1))
        let error = try #require(throws: HTTPError.self) { try client.send(HTTPRequest(url: server.url("/echo"))) }
        guard case .proxyFailed(let proxyName, _, _) = error else {
            Issue.record("expected proxyFailed, got \(error)")
            return
        }
        #expect(proxyName == "127.0.0.1:\(deadPort)")
        #expect(!error.description.contains("pr0xy"))
    }

    @Test func malformedProxySettingsAreRefused() {
        #expect(throws: HTTPError.invalidArgument(field: "field `port`", problem: "70000 is not between 1 and 65535")) {
            try HTTPClient(HTTPClientConfiguration(proxy: HTTPProxy(host: "proxy.example", port: 70000)))
        }
        #expect(throws: HTTPError.self) {
            try HTTPClient(HTTPClientConfiguration(proxy: HTTPProxy(host: "proxy.example", port: 3128, password: "x")))
        }
    }
}
