import Foundation
import OGTestSupport
import Testing
@testable import OGMaterial

@Suite struct TLSProbeTests {
    /// `openssl s_server` on a free loopback port: `primary` (with its intermediate) by
    /// default, `secondary` for SNI "b.example.test".
    private final class TwoNameServer {
        let directory: TemporaryDirectory
        let server: ChildServer
        let port: UInt16

        init(primary: Hierarchy, secondary: Hierarchy) throws {
            directory = try TemporaryDirectory("og-probe")
            let openssl = try Tools.locate("openssl", package: "openssl")
            try directory.write("a.pem", primary.leaf.pem)
            try directory.write("a.key", primary.leafKey.pkcs8PEM())
            try directory.write("a-chain.pem", primary.intermediate.certificate.pem)
            try directory.write("b.pem", secondary.leaf.pem)
            try directory.write("b.key", secondary.leafKey.pkcs8PEM())
            port = Loopback.freePort()
            server = try ChildServer(openssl, ["s_server", "-accept", "127.0.0.1:\(port)", "-www",
                                               "-cert", directory.file("a.pem"), "-key", directory.file("a.key"),
                                               "-cert_chain", directory.file("a-chain.pem"),
                                               "-servername", "b.example.test",
                                               "-cert2", directory.file("b.pem"), "-key2", directory.file("b.key")],
                                     port: port, logPath: directory.file("s_server.log"))
        }

        deinit { server.stop() }
    }

    @Test func readsTheDefaultChainWithoutSNI() throws {
        let primary = try Hierarchy(leafName: "a.example.test")
        let secondary = try Hierarchy(leafName: "b.example.test")
        let server = try TwoNameServer(primary: primary, secondary: secondary)
        let served = try TLSProbe.servedCertificate(host: "127.0.0.1", port: server.port, serverName: nil, timeout: .seconds(10))
        #expect(served == primary.chain)
        let other = try TLSProbe.servedCertificate(host: "localhost", port: server.port, serverName: "a.example.test")
        #expect(other.first == primary.leaf)
    }

    @Test func sendsSNIAndReadsTheCertificateForThatName() throws {
        let primary = try Hierarchy(leafName: "a.example.test")
        let secondary = try Hierarchy(leafName: "b.example.test")
        let server = try TwoNameServer(primary: primary, secondary: secondary)
        let served = try TLSProbe.servedCertificate(host: "127.0.0.1", port: server.port, serverName: "b.example.test")
        #expect(served.first == secondary.leaf)
        #expect(served.first?.dnsNames == ["b.example.test"])
    }

    @Test func reportsARefusedConnection() throws {
        let port = Loopback.freePort()
        #expect { try TLSProbe.servedCertificate(host: "127.0.0.1", port: port, timeout: .seconds(5)) } throws: { error in
            guard case MaterialError.probeFailed(let endpoint, let reason) = error else { return false }
            return endpoint == "127.0.0.1:\(port)" && reason.contains("connection refused")
        }
    }

    @Test func givesUpOnAServerThatNeverAnswers() throws {
        // A socket that listens but never accepts: TCP connects through the backlog, TLS never starts.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        try #require(bound == 0 && listen(listener, 4) == 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let port = UInt16(bigEndian: address.sin_port)
        #expect { try TLSProbe.servedCertificate(host: "127.0.0.1", port: port, timeout: .milliseconds(500)) } throws: { error in
            guard case MaterialError.probeFailed(_, let reason) = error else { return false }
            return reason.contains("no TLS handshake within")
        }
    }

    @Test func reportsAnUnresolvableHost() {
        #expect { try TLSProbe.servedCertificate(host: "no-such-host.invalid", port: 443, timeout: .seconds(5)) } throws: { error in
            "\(error)".contains("cannot resolve 'no-such-host.invalid'")
        }
    }
}
