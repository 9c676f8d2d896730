import Foundation
import OGCredentials
import OGMaterial
import OGTestSupport
import Testing

/// The CyberArk CCP client against the CCP test server over TLS: machine
/// address and client-certificate authentication, account mapping, errors.
@Suite struct CyberArkClientTests {
    static let password = "ccp-pass-3d7a9f1e"
    static let accounts: [[String: String]] = [
        ["Safe": "Linux", "Name": "web", "UserName": "deploy", "Content": password, "Address": "web.example"],
        ["Safe": "Linux", "Name": "keyed", "UserName": "ops", "Content": "key-pass", "PrivateKeyPath": "/etc/og/keys/ops"],
        ["Safe": "Linux", "Name": "rawkey", "UserName": "ops", "Content": "-----BEGIN PRIVATE KEY-----\nMII...\n-----END PRIVATE KEY-----"],
        ["Safe": "Linux", "Name": "dup", "UserName": "a", "Content": "x"],
        ["Safe": "Linux", "Name": "dup", "UserName": "b", "Content": "y"],
    ]

    func client(_ ccp: CyberArkSimulatorFixture, pki: CyberArkTestPKI, appID: String = "og-app",
                identity: Bool = false) throws -> CyberArkClient {
        CyberArkClient(storeName: "ark", settings: CyberArkSettings(ccpURL: ccp.url, appID: appID),
                       send: try CyberArkSimulatorFixture.send(anchors: [pki.caCertificate()],
                                                               identity: identity ? pki.clientIdentity() : nil))
    }

    @Test func machineAddressAuthenticationReturnsUserNameAndContent() throws {
        let pki = try CyberArkTestPKI()
        let ccp = try CyberArkSimulatorFixture(pki: pki, applications: ["og-app": ["allowed_machines": ["127.0.0.1"]]],
                                               accounts: Self.accounts)
        let credential = try client(ccp, pki: pki).credential(id: "Safe=Linux;Object=web")
        #expect(credential == .password(username: "deploy", Secret(Self.password)))
        let keyed = try client(ccp, pki: pki).credential(id: "Safe=Linux;Object=keyed")
        #expect(keyed == .privateKey(username: "ops", path: "/etc/og/keys/ops", passphrase: Secret("key-pass")))
    }

    @Test func theCCPIsTrustedOnlyThroughTheGivenAnchors() throws {
        let pki = try CyberArkTestPKI()
        let ccp = try CyberArkSimulatorFixture(pki: pki, applications: ["og-app": [:]], accounts: Self.accounts)
        let untrusted = CyberArkClient(storeName: "ark", settings: CyberArkSettings(ccpURL: ccp.url, appID: "og-app"),
                                       send: try CyberArkSimulatorFixture.send(anchors: []))
        let error = try #require(throws: ExternalStoreError.self) { try untrusted.credential(id: "Safe=Linux;Object=web") }
        guard case .unreachable = error.failure else {
            Issue.record("expected a TLS failure, got \(error)")
            return
        }
    }

    @Test func aClientCertificateRequiredByTLSIsPresentedAndItsAbsenceFails() throws {
        let pki = try CyberArkTestPKI()
        let ccp = try CyberArkSimulatorFixture(pki: pki, applications: ["og-app": ["client_certificate_cn": "og-gateway"]],
                                               accounts: Self.accounts, clientCertificates: .required)
        #expect(try client(ccp, pki: pki, identity: true).credential(id: "Safe=Linux;Object=web").username == "deploy")
        let error = try #require(throws: ExternalStoreError.self) {
            try client(ccp, pki: pki, identity: false).credential(id: "Safe=Linux;Object=web")
        }
        #expect(error.description.hasPrefix("credential store 'ark', credential 'Safe=Linux;Object=web': store unreachable: "), "\(error)")
    }

    @Test func anApplicationThatNeedsACertificateIsRefusedWithoutOne() throws {
        let pki = try CyberArkTestPKI()
        let ccp = try CyberArkSimulatorFixture(pki: pki, applications: ["og-app": ["client_certificate_cn": "og-gateway"]],
                                               accounts: Self.accounts, clientCertificates: .optional)
        let error = try #require(throws: ExternalStoreError.self) {
            try client(ccp, pki: pki, identity: false).credential(id: "Safe=Linux;Object=web")
        }
        guard case .authenticationRefused(let detail) = error.failure else {
            Issue.record("expected a refusal, got \(error)")
            return
        }
        #expect(detail.contains("APPAP282E"), "\(detail)")
        #expect(try client(ccp, pki: pki, identity: true).credential(id: "Safe=Linux;Object=web").username == "deploy")
    }

    @Test func errorsNameTheStoreTheQueryAndWhatFailed() throws {
        let pki = try CyberArkTestPKI()
        let ccp = try CyberArkSimulatorFixture(pki: pki, applications: ["og-app": [:]], accounts: Self.accounts)
        let missing = try #require(throws: ExternalStoreError.self) { try client(ccp, pki: pki).credential(id: "Safe=Linux;Object=none") }
        #expect(missing.description.hasPrefix("credential store 'ark', credential 'Safe=Linux;Object=none': secret missing: no account matches"))
        #expect(missing.description.contains("APPAP004E"))

        let unknownApp = try #require(throws: ExternalStoreError.self) {
            try client(ccp, pki: pki, appID: "other").credential(id: "Safe=Linux;Object=web")
        }
        #expect(unknownApp.description.contains("authentication refused: the CCP refused application 'other'"), "\(unknownApp)")

        let several = try #require(throws: ExternalStoreError.self) { try client(ccp, pki: pki).credential(id: "Safe=Linux;Object=dup") }
        #expect(several.description.contains("unexpected answer: HTTP 400: APPAP229E"), "\(several)")

        let rawKey = try #require(throws: ExternalStoreError.self) { try client(ccp, pki: pki).credential(id: "Safe=Linux;Object=rawkey") }
        #expect(rawKey.failure == .wrongShape("Content holds a private key, but og-host logs in with key files; give the account a "
                                              + "PrivateKeyPath property naming the key file on the gateway (Content is then its passphrase)"))
        for error in [missing, unknownApp, several, rawKey] { #expect(!error.description.contains(Self.password)) }
    }

    @Test func queriesAreKeyValuePairsWithoutAppID() throws {
        #expect(try CyberArkQuery("Safe=Linux;Object=web server").queryString(appID: "og app") == "AppID=og%20app&Safe=Linux&Object=web%20server")
        #expect(throws: ExternalStoreError.Failure.self) { try CyberArkQuery("Safe") }
        #expect(throws: ExternalStoreError.Failure.self) { try CyberArkQuery("AppID=x;Safe=y") }
        #expect(throws: ExternalStoreError.Failure.self) { try CyberArkQuery(";;") }
    }
}
