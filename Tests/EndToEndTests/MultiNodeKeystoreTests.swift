import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Issue 11: two aliases of one keystore are two nodes writing the SAME file
/// in one transaction. The second node is planned and rendered against the
/// store as the first node left it, so both entries end up with the new
/// certificate (they compose; the second write does not clobber the first),
/// every other entry is kept, and a failure on the second node puts the store
/// back byte for byte. Checked with keytool and openssl, as an operator would.
/// A dry run over both aliases shows the second against the first's result.
@Suite struct MultiNodeKeystoreTests {
    let fixture: GatewayFixture
    let files: KeystoreTestFiles

    init() throws {
        fixture = try GatewayFixture(plugins: ["keystore"])
        files = try KeystoreTestFiles()
    }

    /// A store with key entries a, b and c (keytool -genkeypair) as endpoint `ks`.
    func store(type: String) throws -> String {
        let path = try files.keytoolStore("store.\(type == "JKS" ? "jks" : "p12")", aliases: ["a", "b", "c"], storeType: type)
        if type == "JKS" { try files.addTrustedCertificate(to: path, alias: "root") }
        let added = try fixture.run(["tls", "add", type == "JKS" ? "jks" : "p12", "--name", "ks", "--connection_type", "local",
                                     "--path", path, "--store_password", "env:STORE_PASS"],
                                    extraEnvironment: files.passwordEnvironment)
        try #require(added.exitStatus == 0, "\(added.standardErrorText)")
        return path
    }

    func install(_ leaf: (certificate: String, key: String), nodes: [String], extra: [String] = []) throws -> ProcessOutput {
        try fixture.run(["tls", "install", "ks", "--cert", leaf.certificate, "--key", leaf.key, "--chain", files.pki.chain]
                            + nodes.flatMap { ["--node", $0] } + extra)
    }

    /// SHA-256 of the certificate keytool exports for `alias`.
    func fingerprint(_ path: String, alias: String, type: String) throws -> String {
        let exported = try ProcessRunner.run("keytool", ["-exportcert", "-rfc", "-alias", alias, "-keystore", path, "-storetype", type,
                                                         "-storepass:env", "OG_TEST_STORE_PASS"],
                                             environment: EnvironmentVariable.all().merging(["OG_TEST_STORE_PASS": files.password]) { $1 })
        try #require(exported.exitStatus == 0, "keytool -exportcert \(alias): \(exported.standardErrorText)")
        let pem = files.file("exported-\(alias).pem")
        try LocalFiles.writeAtomically(pem, contents: exported.standardOutput)
        return try files.pki.fingerprint(pem)
    }

    /// The fingerprint a dry run's "entries after this node:" line gives `alias` in `section`.
    static func entry(_ alias: String, in section: String) -> String? {
        guard let line = section.split(separator: "\n").first(where: { $0.contains("entries after this node:") }),
              let start = line.range(of: "'\(alias)' "),
              let fingerprint = line[start.upperBound...].range(of: "(SHA-256 ") else { return nil }
        return String(line[fingerprint.upperBound...].prefix(64))
    }

    func strayFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: files.directory.path).filter { $0.contains(".og-") }
    }

    @Test(arguments: ["PKCS12", "JKS"])
    func twoAliasesOfOneStoreComposeInOneTransaction(type: String) throws {
        let path = try store(type: type)
        let untouched = try fingerprint(path, alias: "c", type: type)
        let leaf = try files.leaf("both")
        let installed = try install(leaf, nodes: ["a", "b"])
        #expect(installed.exitStatus == 0, "\(installed.standardErrorText)\(installed.standardOutputText)")
        let new = try files.pki.fingerprint(leaf.certificate)
        #expect(try fingerprint(path, alias: "a", type: type) == new, "the first node's entry survived the second node's write")
        #expect(try fingerprint(path, alias: "b", type: type) == new)
        #expect(try fingerprint(path, alias: "c", type: type) == untouched, "the other key entry is kept")
        let listing = try ProcessRunner.run("keytool", ["-list", "-keystore", path, "-storetype", type, "-storepass:env", "OG_TEST_STORE_PASS"],
                                            environment: EnvironmentVariable.all().merging(["OG_TEST_STORE_PASS": files.password]) { $1 })
        #expect(listing.standardOutputText.contains("contains \(type == "JKS" ? 4 : 3) entr"), "\(listing.standardOutputText)")
        if type == "JKS" {
            #expect(listing.standardOutputText.lowercased().contains("root, "), "the trusted certificate is kept: \(listing.standardOutputText)")
        } else {
            // The store opens with openssl too (MAC and every bag), with both entries' chains.
            let info = try ProcessRunner.run("openssl", ["pkcs12", "-info", "-nokeys", "-in", path, "-passin", "env:OG_TEST_STORE_PASS"],
                                             environment: EnvironmentVariable.all().merging(["OG_TEST_STORE_PASS": files.password]) { $1 })
            #expect(info.exitStatus == 0, "\(info.standardErrorText)")
            for alias in ["a", "b", "c"] { #expect(info.standardOutputText.contains("friendlyName: \(alias)"), "\(alias)") }
        }
        let log = installed.standardOutputText + installed.standardErrorText
        #expect(log.contains("replace key entry 'a'") && log.contains("replace key entry 'b'"), "\(log)")
        let strays = try strayFiles()
        #expect(strays.isEmpty, "\(strays)")
    }

    @Test func aSecondNodeThatCannotBePlannedPutsTheStoreBackByteForByte() throws {
        let path = try store(type: "PKCS12")
        let before = try files.bytes(path)
        let failed = try install(try files.leaf("refused"), nodes: ["a", "nosuch"])
        #expect(failed.exitStatus == 6, "rolled back: \(failed.standardErrorText)")
        #expect(failed.standardErrorText.contains("nosuch"), "\(failed.standardErrorText)")
        #expect(failed.standardErrorText.contains("every node of 'ks' was rolled back"), "\(failed.standardErrorText)")
        #expect(try files.bytes(path) == before, "the store the first node wrote is back byte for byte")
        let strays = try strayFiles()
        #expect(strays.isEmpty, "\(strays)")
    }

    /// The dry run plans b against the store as a would leave it: the second
    /// node's store holds the new certificate in a as well (before, each node
    /// was shown alone, and b's store still had a's old certificate).
    @Test func aDryRunShowsTheSecondAliasAgainstTheStoreAsTheFirstWouldLeaveIt() throws {
        let path = try store(type: "PKCS12")
        let before = try files.bytes(path)
        let old = try fingerprint(path, alias: "a", type: "PKCS12")
        let leaf = try files.leaf("planned")
        let new = try files.pki.fingerprint(leaf.certificate)
        let dryRun = try install(leaf, nodes: ["a", "b"], extra: ["--dry-run"])
        #expect(dryRun.exitStatus == 0, "\(dryRun.standardErrorText)")
        let text = dryRun.standardOutputText + dryRun.standardErrorText
        let second = try #require(text.range(of: "node b:"), "\(text)")
        let (first, later) = (String(text[..<second.lowerBound]), String(text[second.upperBound...]))
        let change = later.split(separator: "\n").first { $0.hasPrefix("modify \(path) ") }.map(String.init) ?? ""
        #expect(change.hasSuffix(", as node a would leave it"), "\(later)")
        let oldB = try fingerprint(path, alias: "b", type: "PKCS12")
        #expect(Self.entry("a", in: first) == new, "\(first)")
        #expect(Self.entry("b", in: first) == oldB, "b is still the old one after node a: \(first)")
        #expect(Self.entry("a", in: later) == new, "node a's entry is in b's store: \(later)")
        #expect(Self.entry("b", in: later) == new, "\(later)")
        #expect(Self.entry("a", in: later) != old)
        #expect(text.contains("Dry run: nothing was changed."))
        #expect(try files.bytes(path) == before)
        #expect(try strayFiles().isEmpty)
    }
}
