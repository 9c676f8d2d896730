import Foundation
import OGBasics
import Testing
@testable import OGMaterial

/// System anchors are looked up by issuer name in a hashed directory (the
/// layout `update-ca-certificates`/`openssl rehash` write), not parsed as a
/// whole bundle; these tests build such a directory and check the lookup,
/// including a name-hash collision and an impostor with the root's name.
@Suite final class TrustAnchorSetTests {
    let directory: URL
    let hierarchy: Hierarchy

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("og-trust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        hierarchy = try Hierarchy()
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Writes `certificate` as `<subject hash>.<suffix>`, the hash from openssl itself.
    func link(_ certificate: Certificate, suffix: Int) throws {
        let pem = directory.appendingPathComponent("in-\(suffix).pem")
        try Data(certificate.pem.utf8).write(to: pem)
        let hash = try ProcessRunner.run("/usr/bin/openssl", ["x509", "-noout", "-subject_hash", "-in", pem.path])
        try #require(hash.exitStatus == 0)
        let name = hash.standardOutputText.trimmingCharacters(in: .whitespacesAndNewlines) + ".\(suffix)"
        try Data(certificate.pem.utf8).write(to: directory.appendingPathComponent(name))
    }

    @Test func findsTheIssuerByNameInAHashedDirectory() throws {
        try link(hierarchy.root.certificate, suffix: 0)
        let store = SystemTrustStore(directory: directory.path, bundlePath: nil)
        #expect(store.directory == directory.path)
        #expect(store.issuers(of: hierarchy.intermediate.certificate) == [hierarchy.root.certificate])
        #expect(store.contains(hierarchy.root.certificate))
        #expect(!store.contains(hierarchy.intermediate.certificate))
        let result = try ChainValidation.validate(leaf: hierarchy.leaf, chain: [hierarchy.intermediate.certificate],
                                                  anchors: TrustAnchorSet([], system: store), privateKey: hierarchy.leafKey)
        #expect(result.certificates == [hierarchy.leaf, hierarchy.intermediate.certificate, hierarchy.root.certificate])
        #expect(result.anchor == hierarchy.root.certificate)
    }

    @Test func anImpostorWithTheRootsNameDoesNotHideTheRoot() throws {
        let impostor = try CertificateAuthority.makeRoot(subject: CertificateSubject(commonName: "Test Root", organization: "og-host tests"))
        try link(impostor.certificate, suffix: 0)
        try link(hierarchy.root.certificate, suffix: 1)
        let store = SystemTrustStore(directory: directory.path, bundlePath: nil)
        #expect(store.issuers(of: hierarchy.intermediate.certificate).count == 2)
        let result = try ChainValidation.validate(leaf: hierarchy.leaf, chain: [hierarchy.intermediate.certificate],
                                                  anchors: TrustAnchorSet([], system: store))
        #expect(result.anchor == hierarchy.root.certificate)

        // Only the impostor: the chain names it as the wrong issuer instead of accepting it.
        let onlyImpostor = FileManager.default.temporaryDirectory.appendingPathComponent("og-trust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: onlyImpostor, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: onlyImpostor) }
        try FileManager.default.copyItem(at: directory.appendingPathComponent(try hashName(suffix: 0)),
                                         to: onlyImpostor.appendingPathComponent(try hashName(suffix: 0)))
        #expect(throws: MaterialError.wrongIssuer(subject: "CN=Test Intermediate,O=og-host tests", issuer: "CN=Test Root,O=og-host tests")) {
            try ChainValidation.validate(leaf: hierarchy.leaf, chain: [hierarchy.intermediate.certificate],
                                         anchors: TrustAnchorSet([], system: SystemTrustStore(directory: onlyImpostor.path, bundlePath: nil)))
        }
    }

    func hashName(suffix: Int) throws -> String {
        try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .first { $0.hasSuffix(".\(suffix)") && !$0.hasPrefix("in-") })
    }

    @Test func withoutTheSystemStoreAPrivateChainIsIncomplete() throws {
        try link(hierarchy.root.certificate, suffix: 0)
        #expect(throws: MaterialError.chainIncomplete(subject: "CN=Test Intermediate,O=og-host tests", issuer: "CN=Test Root,O=og-host tests")) {
            try ChainValidation.validate(leaf: hierarchy.leaf, chain: [hierarchy.intermediate.certificate],
                                         anchors: TrustAnchorSet([], system: nil))
        }
        // Explicit anchors and the system store together: the explicit one is used.
        let both = TrustAnchorSet([hierarchy.root.certificate], system: SystemTrustStore(directory: directory.path, bundlePath: nil))
        #expect(try ChainValidation.validate(leaf: hierarchy.leaf, chain: [hierarchy.intermediate.certificate], anchors: both)
            .anchor == hierarchy.root.certificate)
    }

    @Test func withoutAHashedDirectoryTheBundleIsUsed() throws {
        let bundle = directory.appendingPathComponent("bundle.pem")
        try Data(hierarchy.root.certificate.pem.utf8).write(to: bundle)
        let store = SystemTrustStore(directory: directory.path, bundlePath: bundle.path)
        #expect(store.directory == nil, "no <hash>.<n> names in the directory")
        #expect(store.issuers(of: hierarchy.intermediate.certificate) == [hierarchy.root.certificate])
    }

    @Test func thisMachinesStoreHoldsAPublicRoot() throws {
        let isrg = try #require(try ChainValidation.systemTrustAnchors().first { $0.subject.contains("ISRG Root X1") })
        #expect(SystemTrustStore.standard.directory != nil, "Debian keeps /etc/ssl/certs hashed")
        #expect(SystemTrustStore.standard.contains(isrg))
        #expect(SystemTrustStore.standard.issuers(of: isrg) == [isrg])
    }
}
