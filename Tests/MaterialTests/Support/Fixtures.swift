import Foundation
@testable import OGMaterial

/// Small certificate hierarchies built with `CertificateAuthority` for the tests.
struct Hierarchy {
    let root: CertificateAuthority
    let intermediate: CertificateAuthority
    let leafKey: PrivateKey
    let leaf: Certificate

    init(leafSpec: KeySpec = .ecdsa(curve: .p256), leafName: String = "www.example.test",
         leafNotBefore: Date = Date().addingTimeInterval(-300),
         leafNotAfter: Date = Date().addingTimeInterval(30 * 86400)) throws {
        // The CAs are valid from 2020 on, so tests may validate at past times.
        let caStart = Date(timeIntervalSince1970: 1_577_836_800)
        root = try CertificateAuthority.makeRoot(subject: CertificateSubject(commonName: "Test Root", organization: "og-host tests"),
                                                 notBefore: caStart)
        intermediate = try root.makeIntermediate(subject: CertificateSubject(commonName: "Test Intermediate",
                                                                             organization: "og-host tests"),
                                                 notBefore: caStart)
        (leafKey, leaf) = try intermediate.issue(subject: CertificateSubject(commonName: leafName),
                                                 sans: [.dns(leafName), .ipAddress("127.0.0.1")], keySpec: leafSpec,
                                                 notBefore: leafNotBefore, notAfter: leafNotAfter)
    }

    /// Leaf first, then the intermediate: what a server presents.
    var chain: [Certificate] { [leaf, intermediate.certificate] }
}

let testPassword: [UInt8] = Array("changeit-Str0ng".utf8)
