import Foundation
import Testing
@testable import OGMaterial

@Suite struct ChainValidationTests {
    @Test func ordersAShuffledChainFromLeafToRoot() throws {
        let hierarchy = try Hierarchy()
        let stray = try CertificateAuthority.makeRoot(subject: CertificateSubject(commonName: "Unrelated")).certificate
        let result = try ChainValidation.validate(
            leaf: hierarchy.leaf, chain: [hierarchy.root.certificate, stray, hierarchy.intermediate.certificate, hierarchy.leaf],
            trustAnchors: [hierarchy.root.certificate], privateKey: hierarchy.leafKey)
        #expect(result.certificates == [hierarchy.leaf, hierarchy.intermediate.certificate, hierarchy.root.certificate])
        #expect(result.intermediates == [hierarchy.intermediate.certificate])
        #expect(result.anchor == hierarchy.root.certificate)
        #expect(result.unused == [stray])
    }

    @Test func namesTheCertificateWhoseIssuerIsMissing() throws {
        let hierarchy = try Hierarchy()
        #expect(throws: MaterialError.chainIncomplete(subject: "CN=www.example.test", issuer: "CN=Test Intermediate,O=og-host tests")) {
            try ChainValidation.validate(leaf: hierarchy.leaf, chain: [], trustAnchors: [hierarchy.root.certificate])
        }
        let message = "\(MaterialError.chainIncomplete(subject: "CN=Intermediate", issuer: "CN=Root"))"
        #expect(message.hasPrefix("chain incomplete: no issuer for 'CN=Intermediate' found in the supplied chain or trust anchors"))
    }

    @Test func namesAnUntrustedRoot() throws {
        let hierarchy = try Hierarchy()
        let otherRoot = try CertificateAuthority.makeRoot(subject: CertificateSubject(commonName: "Other Root")).certificate
        #expect(throws: MaterialError.untrustedRoot(subject: "CN=Test Root,O=og-host tests")) {
            try ChainValidation.validate(leaf: hierarchy.leaf, chain: [hierarchy.intermediate.certificate, hierarchy.root.certificate],
                                         trustAnchors: [otherRoot])
        }
    }

    @Test func spotsAnIssuerWithTheRightNameButTheWrongKey() throws {
        let hierarchy = try Hierarchy()
        let impostor = try hierarchy.root.makeIntermediate(subject: CertificateSubject(commonName: "Test Intermediate",
                                                                                       organization: "og-host tests"))
        #expect(throws: MaterialError.wrongIssuer(subject: "CN=www.example.test", issuer: "CN=Test Intermediate,O=og-host tests")) {
            try ChainValidation.validate(leaf: hierarchy.leaf, chain: [impostor.certificate], trustAnchors: [hierarchy.root.certificate])
        }
    }

    @Test func reportsAKeyThatDoesNotMatchTheLeaf() throws {
        let hierarchy = try Hierarchy()
        let otherKey = try PrivateKey.generate(.ecdsa(curve: .p256))
        #expect(throws: MaterialError.keyMismatch(certificateSubject: "CN=www.example.test")) {
            try ChainValidation.validate(leaf: hierarchy.leaf, chain: [hierarchy.intermediate.certificate],
                                         trustAnchors: [hierarchy.root.certificate], privateKey: otherKey)
        }
        #expect("\(MaterialError.keyMismatch(certificateSubject: "CN=a"))".hasPrefix("private key does not match certificate (CN=a)"))
    }

    @Test func reportsExpiryWithTheDateAtTheTimeGiven() throws {
        let notAfter = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01T00:00:00Z
        let hierarchy = try Hierarchy(leafNotBefore: notAfter.addingTimeInterval(-86400 * 30), leafNotAfter: notAfter)
        let chain = [hierarchy.intermediate.certificate]
        #expect(throws: MaterialError.expired(subject: "CN=www.example.test", notAfter: notAfter)) {
            try ChainValidation.validate(leaf: hierarchy.leaf, chain: chain, trustAnchors: [hierarchy.root.certificate])
        }
        #expect("\(MaterialError.expired(subject: "CN=x", notAfter: notAfter))".hasPrefix("certificate expired on 2025-01-01"))
        // The same chain was valid a day before it expired: the time is the caller's, not the clock's.
        _ = try ChainValidation.validate(leaf: hierarchy.leaf, chain: chain, trustAnchors: [hierarchy.root.certificate],
                                         at: notAfter.addingTimeInterval(-86400))
    }

    @Test func reportsACertificateNotYetValid() throws {
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 86400 * 10).rounded(.down))
        let hierarchy = try Hierarchy(leafNotBefore: start, leafNotAfter: start.addingTimeInterval(86400 * 30))
        #expect(throws: MaterialError.notYetValid(subject: "CN=www.example.test", notBefore: start)) {
            try ChainValidation.validate(leaf: hierarchy.leaf, chain: [hierarchy.intermediate.certificate],
                                         trustAnchors: [hierarchy.root.certificate])
        }
    }

    @Test func openSSLRejectsAForgedSignature() throws {
        let hierarchy = try Hierarchy()
        // Change one byte of the signature: names and key identifiers still match, the signature does not.
        var der = hierarchy.leaf.der
        der[der.count - 5] ^= 0x01
        let forged = try Certificate(der: der)
        #expect { try ChainValidation.validate(leaf: forged, chain: [hierarchy.intermediate.certificate],
                                               trustAnchors: [hierarchy.root.certificate]) } throws: { error in
            switch error as? MaterialError {
            case .wrongIssuer(let subject, _)?, .chainInvalid(let subject, _)?: return subject == "CN=www.example.test"
            default: return false
            }
        }
    }

    @Test func acceptsAnIntermediateAsTrustAnchor() throws {
        let hierarchy = try Hierarchy()
        let result = try ChainValidation.validate(leaf: hierarchy.leaf, chain: [],
                                                  trustAnchors: [hierarchy.intermediate.certificate])
        #expect(result.certificates == [hierarchy.leaf, hierarchy.intermediate.certificate])
    }

    @Test func loadsTheSystemTrustAnchors() throws {
        let anchors = try ChainValidation.systemTrustAnchors()
        #expect(anchors.count > 50)
        #expect(anchors.contains { $0.subject.contains("ISRG Root X1") })
    }
}
