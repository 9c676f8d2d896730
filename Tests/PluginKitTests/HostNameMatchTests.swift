import OGPluginKit
import Testing

/// The shared RFC 6125 matcher; the same cases as Tests/Fixtures/sdk/util_check.c
/// checks for og_name_matches, so the Swift and C rules cannot drift apart silently.
struct HostNameMatchTests {
    @Test(arguments: [
        ("www.example.com", "WWW.Example.COM.", true),
        ("*.example.com", "a.example.com", true),
        ("*.example.com", "a.b.example.com", false),
        ("*.example.com", "example.com", false),
        ("*.example.com", ".example.com", false),
        ("*.com", "example.com", false),
        ("w*.example.com", "www.example.com", false),
        ("a.*.example.com", "a.b.example.com", false),
        ("*.example.com", "*.example.com", true),
        ("a.example.com", "*.example.com", false),
        ("*.0.0.1", "127.0.0.1", false),
        ("", "", false),
    ])
    func nameMatchesLikeTheCHelper(_ pattern: String, _ host: String, _ expected: Bool) {
        #expect(HostNameMatch.matches(pattern, host: host) == expected)
    }

    @Test func certificateCoversByDNSNamesThenCommonNameAndByIPAddress() {
        var certificate = CertificateInfo(subject: "CN=ignored.example.org", commonName: "ignored.example.org",
                                          dnsNames: ["*.example.com", "example.com"], ipAddresses: ["192.0.2.7"],
                                          serialHex: "01", sha256Fingerprint: "00", notBefore: 0, notAfter: 0,
                                          keyAlgorithm: "EC-P256", issuer: "CN=CA")
        #expect(HostNameMatch.covers(certificate, host: "shop.example.com"))
        #expect(HostNameMatch.covers(certificate, host: "192.0.2.7"))
        #expect(!HostNameMatch.covers(certificate, host: "ignored.example.org"))
        certificate.dnsNames = []
        #expect(HostNameMatch.covers(certificate, host: "ignored.example.org"))

        let nodes = [Node(id: "a", name: "shop.example.org", aliases: ["ignored.example.org"]),
                     Node(id: "b", name: "other.example.org")]
        #expect(HostNameMatch.nodes(nodes, coveredBy: certificate).map(\.id) == ["a"])
    }
}
