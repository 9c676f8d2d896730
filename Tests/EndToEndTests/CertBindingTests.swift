import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Bindings and the served-certificate watch against a real nginx: installing
/// a named certificate binds it (and records where the served certificate was
/// verified), `cert bind`/`unbind` edit bindings, `cert remove` is refused
/// while bound and names the bindings, removing the endpoint drops them, and
/// `cert watch` reports what the node really serves.
@Suite struct CertBindingTests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let nginx: NginxTestInstance
    let authority: CertTestAuthority
    let work: TemporaryDirectory
    var alphaNode: String { "alpha.example.test:\(nginx.tlsPort)" }

    init() throws {
        fixture = try GatewayFixture(plugins: ["nginx"])
        pki = try TestPKI()
        nginx = try NginxTestInstance(pki: pki)
        authority = try CertTestAuthority()
        work = try TemporaryDirectory("og-cert-bindings")
        try nginx.start()  // stopped by its deinit when the test ends
        for arguments in [["ca", "add", authority.rootPath], ["tls", "add", "nginx", "--name", "web"] + nginx.localOptions] {
            let result = try fixture.run(arguments)
            try #require(result.exitStatus == 0, "\(arguments.prefix(3)): \(result.standardErrorText)")
        }
    }

    /// `cert request` + sign + `cert import` for `arguments`; returns the certificate ID and the leaf's path.
    @discardableResult
    func issued(_ reference: String, _ arguments: [String], days: Int = 10,
                sourceLocation: SourceLocation = #_sourceLocation) throws -> (id: String, leaf: String) {
        let (id, csr) = try fixture.requestCertificate(arguments, in: work, sourceLocation: sourceLocation)
        let leaf = try authority.signCopyingSANs(csrPath: csr, days: days)
        let imported = try fixture.run(["cert", "import", reference == "-" ? id : reference, "--cert", leaf,
                                        "--chain", authority.intermediatePath])
        try #require(imported.exitStatus == 0, "\(imported.standardErrorText)", sourceLocation: sourceLocation)
        return (id, leaf)
    }

    func bindings(_ name: String) throws -> [[String: Any]] {
        try fixture.certificateDetails(name)["bindings"] as? [[String: Any]] ?? []
    }

    /// `cert watch --output json`; exit 0 when every binding is ok, 10 when one needs attention.
    func watch(_ arguments: [String] = [], exit: Int32 = 0) throws -> [[String: Any]] {
        let result = try fixture.run(["cert", "watch", "--output", "json"] + arguments)
        try #require(result.exitStatus == exit, "cert watch: \(result.standardErrorText)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [[String: Any]])
    }

    @Test func installingANamedCertificateBindsItAndRemovalIsRefusedWhileBound() throws {
        let (first, _) = try issued("alpha", ["--name", "alpha", "--key", "ec-p256", "--cn", "alpha.example.test"])
        let installed = try fixture.run(["tls", "install", "web", "--cert-id", "alpha", "--node", alphaNode])
        try #require(installed.exitStatus == 0, "tls install: \(installed.standardErrorText)")
        let fingerprint = try #require(try fixture.certificateDetails("alpha")["fingerprint"] as? String)
        #expect(try nginx.servedFingerprint("alpha.example.test") == fingerprint)

        var bound = try bindings("alpha")
        #expect(bound.count == 1)
        #expect(bound.first?["endpoint_name"] as? String == "web")
        #expect(bound.first?["node"] as? String == alphaNode)
        #expect(bound.first?["deployed"] as? Bool == true)
        let installation = try #require((try fixture.certificateDetails("alpha")["installed_on"] as? [[String: Any]])?.first)
        #expect((installation["served_address"] as? String)?.hasSuffix(":\(nginx.tlsPort)") == true, "\(installation)")
        #expect(installation["served_name"] as? String == "alpha.example.test")

        // Bound: removal is refused and names the endpoint and node.
        let refused = try fixture.run(["cert", "remove", "alpha"])
        #expect(refused.exitStatus == 4)
        #expect(refused.standardErrorText.contains("is bound to web (node \(alphaNode))"), "\(refused.standardErrorText)")
        #expect(refused.standardErrorText.contains("og-host cert unbind alpha --endpoint EP"))

        // A new version: the binding stays and says the node still has version 1.
        try issued("alpha", ["--name", "alpha"])
        bound = try bindings("alpha")
        #expect(bound.first?["deployed"] as? Bool == false)
        #expect(bound.first?["installed_version"] as? Int == 1)
        let table = try fixture.run(["cert", "list"]).standardOutputText
        #expect(table.contains("0/1 web/\(alphaNode) (v1)"), "\(table)")

        // Unbind, then the whole lineage goes with its keys.
        let unbound = try fixture.run(["cert", "unbind", "alpha", "--endpoint", "web", "--node", alphaNode])
        #expect(unbound.exitStatus == 0, "\(unbound.standardErrorText)")
        let again = try fixture.run(["cert", "unbind", "alpha", "--endpoint", "web"])
        #expect(again.exitStatus == 3)
        #expect(again.standardErrorText.contains("is not bound to endpoint 'web'; it is bound to nothing"), "\(again.standardErrorText)")
        let removed = try fixture.run(["cert", "remove", "alpha"])
        #expect(removed.exitStatus == 0, "\(removed.standardErrorText)")
        #expect(removed.standardOutputText.contains("every version"))
        #expect(try fixture.certificateList().isEmpty)
        #expect(!fixture.dataDirectoryContents().keys.contains { $0.contains(first) }, "the keys went too")
    }

    @Test func bindAndUnbindValidateAndEndpointRemovalDropsBindings() throws {
        try issued("api", ["--name", "api", "--key", "ec-p256", "--cn", "beta.example.test"])
        let bound = try fixture.run(["cert", "bind", "api", "--endpoint", "web"])
        #expect(bound.exitStatus == 0, "\(bound.standardErrorText)")
        #expect(bound.standardOutputText.contains("node: the plugin's choice"))
        #expect(try fixture.run(["cert", "bind", "api", "--endpoint", "web"]).exitStatus == 0, "binding again is fine")
        let withNode = try fixture.run(["cert", "bind", "api", "--endpoint", "web", "--node", "beta.example.test:\(nginx.tlsPort)"])
        #expect(withNode.exitStatus == 0)
        #expect(try bindings("api").count == 2)
        #expect(try bindings("api").allSatisfy { $0["deployed"] as? Bool == false })

        let noEndpoint = try fixture.run(["cert", "bind", "api", "--endpoint", "nowhere"])
        #expect(noEndpoint.exitStatus == 3 && noEndpoint.standardErrorText.contains("nowhere"))
        let emptyNode = try fixture.run(["cert", "bind", "api", "--endpoint", "web", "--node", ""])
        #expect(emptyNode.exitStatus == 2 && emptyNode.standardErrorText.contains("--node"), "\(emptyNode.standardErrorText)")
        let noCertificate = try fixture.run(["cert", "bind", "nothing", "--endpoint", "web"])
        #expect(noCertificate.exitStatus == 3)
        let (unnamed, _) = try issued("-", ["--key", "ec-p256", "--cn", "beta.example.test"])
        let refused = try fixture.run(["cert", "bind", unnamed, "--endpoint", "web"])
        #expect(refused.exitStatus == 2)
        #expect(refused.standardErrorText.contains("has no name"), "\(refused.standardErrorText)")
        #expect(refused.standardErrorText.contains("--name NAME"))
        #expect(try fixture.auditTrail().contains { $0.action == "cert.bind" && $0.subject == "api" && $0.outcome == "success" })

        // Unbinding one node leaves the other; removing the endpoint takes what is left.
        let one = try fixture.run(["cert", "unbind", "api", "--endpoint", "web", "--node", "beta.example.test:\(nginx.tlsPort)"])
        #expect(one.exitStatus == 0 && one.standardOutputText.contains("Removed 1 binding"))
        #expect(try fixture.run(["cert", "remove", "api"]).exitStatus == 4)
        #expect(try fixture.run(["tls", "remove", "web"]).exitStatus == 0)
        #expect(try bindings("api").isEmpty)
        #expect(try fixture.run(["cert", "remove", "api"]).exitStatus == 0)
    }

    @Test func installingAnUnnamedCertificateBindsNothing() throws {
        let (id, _) = try issued("-", ["--key", "ec-p256", "--cn", "beta.example.test"])
        let installed = try fixture.run(["tls", "install", "web", "--cert-id", id, "--node", "beta.example.test:\(nginx.tlsPort)"])
        try #require(installed.exitStatus == 0, "tls install: \(installed.standardErrorText)")
        let details = try fixture.certificateDetails(id)
        #expect((details["installed_on"] as? [Any])?.count == 1)
        #expect((details["bindings"] as? [Any])?.isEmpty ?? true)
        #expect(try watch().isEmpty)
    }

    @Test func watchReportsExpiringMismatchedUnreachableAndUndeployedBindings() throws {
        try issued("alpha", ["--name", "alpha", "--key", "ec-p256", "--cn", "alpha.example.test"], days: 10)
        let installed = try fixture.run(["tls", "install", "web", "--cert-id", "alpha", "--node", alphaNode])
        try #require(installed.exitStatus == 0, "tls install: \(installed.standardErrorText)")
        try issued("spare", ["--name", "spare", "--key", "ec-p256", "--cn", "beta.example.test"])
        #expect(try fixture.run(["cert", "bind", "spare", "--endpoint", "web"]).exitStatus == 0)
        let fingerprint = try #require(try fixture.certificateDetails("alpha")["fingerprint"] as? String)

        // Ten days left: fine with a 5-day window, expiring with a 30-day one.
        var findings = try watch(["alpha", "--within", "5"])
        #expect(findings.count == 1)
        #expect(findings.first?["kind"] as? String == "ok", "\(findings)")
        #expect(findings.first?["served_fingerprint"] as? String == fingerprint)
        // Without --within, the renewal policy's window: a 10-day certificate is due when half is left, so fine now.
        findings = try watch(["alpha"])
        #expect(findings.first?["kind"] as? String == "ok", "\(findings)")
        #expect(try watch([], exit: 10).map { $0["kind"] as? String } == ["ok", "notDeployed"])
        findings = try watch(["--within", "30"], exit: 10)
        #expect(findings.map { $0["kind"] as? String } == ["expiring", "notDeployed"], "\(findings)")
        #expect((findings.first?["message"] as? String)?.contains("expires in 9 day(s)") == true, "\(findings)")
        #expect((findings.last?["message"] as? String)?.contains("og-host cert deploy spare") == true)

        // Someone installs another certificate on the node behind og-host's back: the watch sees it.
        let other = try pki.issue("intruder", dnsNames: ["alpha.example.test"])
        let replaced = try fixture.run(["tls", "install", "web", "--cert", other.certificate, "--key", other.key,
                                        "--chain", pki.chain, "--node", alphaNode])
        try #require(replaced.exitStatus == 0, "\(replaced.standardErrorText)")
        findings = try watch(["alpha"], exit: 10)
        #expect(findings.first?["kind"] as? String == "mismatch", "\(findings)")
        #expect(findings.first?["served_fingerprint"] as? String == (try pki.fingerprint(other.certificate)))
        #expect(findings.first?["deployed_fingerprint"] as? String == fingerprint)
        #expect((findings.first?["message"] as? String)?.contains("not managed by og-host") == true, "\(findings)")
        let text = try fixture.run(["cert", "watch", "alpha"]).standardOutputText
        #expect(text.hasPrefix("mismatch: 'alpha' on web node \(alphaNode)"), "\(text)")

        nginx.stop()
        findings = try watch(["alpha"], exit: 10)
        #expect(findings.first?["kind"] as? String == "unreachable", "\(findings)")
        #expect((findings.first?["message"] as? String)?.contains("refused") == true, "\(findings)")
        let bad = try fixture.run(["cert", "watch", "--within", "0"])
        #expect(bad.exitStatus == 2 && bad.standardErrorText.contains("--within: '0' is not a number of days from 1 to 120"))
    }
}
