import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The iControl REST test server answers bigrest, a public Python client for
/// F5's API, the way a BIG-IP does for every kind of call og-host's F5 plugin
/// makes (token login and deletion, chunked upload, key/certificate install,
/// transactions, profiles, virtual servers, config-sync); otherwise the F5
/// tests would only prove og-host agrees with its own simulator.
@Suite struct F5SimulatorFaithfulnessTests {
    @Test func bigrestDrivesEveryKindOfCallThePluginMakes() throws {
        let python = try #require(ProcessRunner.findExecutable("python3"), "python3 is missing")
        if try ProcessRunner.run(python, ["-c", "import bigrest"]).exitStatus != 0 {
            let install = try ProcessRunner.run(python, ["-m", "pip", "install", "--quiet", "bigrest"], timeout: .seconds(300))
            try #require(install.exitStatus == 0,
                         "the Python package bigrest is missing and `python3 -m pip install bigrest` failed (needs python3-pip and PyPI): \(install.standardErrorText)")
        }
        let pki = try TestPKI()
        let f5 = try F5Simulator(pki: pki, deviceGroup: "dg-failover")
        let (nextCertificate, nextKey) = try pki.issue("next", dnsNames: ["www.example.test"], key: "rsa")
        let (_, otherKey) = try pki.issue("other", dnsNames: ["www.example.test"], key: "rsa")
        let check = try ProcessRunner.run(
            python, [BuiltProducts.repositoryRoot + "/Tests/Fixtures/f5/bigrest_check.py", "localhost:\(f5.port)", f5.trustAnchor,
                     String(f5.virtualPorts["/Common/vs-web"]!), nextKey, nextCertificate, otherKey],
            environment: EnvironmentVariable.all().merging(["F5_USER": F5Simulator.user, "F5_PASSWORD": F5Simulator.password]) { $1 },
            timeout: .seconds(120))
        #expect(check.exitStatus == 0, "\(check.standardErrorText)")
        #expect(check.standardOutputText.contains("bigrest check passed"))
        // What bigrest did is visible in the simulator's own state, so the script's steps really ran.
        let state = try f5.state()
        let counters = try #require(state["counters"] as? [String: Any])
        #expect(counters["logins"] as? Int == 1)
        #expect(counters["tokens_deleted"] as? Int == 1)
        #expect(counters["failed_commits"] as? Int == 1)
        #expect(counters["config_syncs"] as? Int == 1)
        #expect(state["tokens"] as? Int == 0)
        #expect(try f5.servedFingerprint("/Common/vs-web") == pki.fingerprint(nextCertificate))
    }

    @Test func virtualServersServeWhatTheirProfileHoldsAndHonourSNI() throws {
        let pki = try TestPKI()
        let f5 = try F5Simulator(pki: pki, names: ["www.example.test", "api.example.test"], profiles: [
            F5Simulator.Profile(name: "/Common/web-ssl", pair: "/Common/web"),
            F5Simulator.Profile(name: "/Tenant/api-ssl", pair: "/Tenant/api", serverName: "api.example.test", sniDefault: false),
        ], virtuals: [F5Simulator.Virtual(name: "/Common/vs-web", profiles: ["/Common/web-ssl", "/Tenant/api-ssl"])])
        let web = try f5.servedFingerprint("/Common/vs-web", serverName: "www.example.test")
        let api = try f5.servedFingerprint("/Common/vs-web", serverName: "api.example.test")
        #expect(web == (try pki.fingerprint(pki.file("Common-web.pem"))))
        #expect(api == (try pki.fingerprint(pki.file("Tenant-api.pem"))))
        #expect(web != api)
    }
}
