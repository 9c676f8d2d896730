import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Issue 11 on a real apache2: its two TLS virtual hosts (shop, blog), both
/// in sites-available/shop.conf, installed as ONE transaction. Shop's edit
/// joins a continued directive and retires its chain file, so it shifts blog's
/// lines: blog must be planned against the file as shop's edit left it. One
/// `apache2 -t`, one real graceful restart (blog's is answered from shop's
/// record), both served (openssl s_client); a config test failing after both
/// were written rolls both back byte for byte.
@Suite struct MultiNodeApacheTests {
    let fixture: GatewayFixture
    let pki: TestPKI
    let work: TemporaryDirectory
    let apache: ApacheInstance

    init() throws {
        fixture = try GatewayFixture(plugins: ["apache"])
        pki = try TestPKI()
        work = try TemporaryDirectory("og-apache-nodes")
        apache = try ApacheInstance(in: work.path, ownedBy: work, pki: pki)
        try apache.start()
    }

    func addEndpoint(apachectl: String = ApacheInstance.binary) throws {
        let added = try fixture.run(["tls", "add", "apache", "--name", "web", "--connection_type", "local"]
            + apache.addOptions(apachectl: apachectl))
        try #require(added.exitStatus == 0, "tls add: \(added.standardErrorText)")
    }

    var nodes: [String] { [apache.shopID, apache.blogID] }

    func leaf(_ name: String) throws -> (certificate: String, key: String) {
        try pki.issue(name, dnsNames: ["shop.example.test", "www.shop.example.test", "blog.example.test"])
    }

    func install(_ leaf: (certificate: String, key: String), _ extra: [String] = []) throws -> ProcessOutput {
        try fixture.run(["tls", "install", "web", "--cert", leaf.certificate, "--key", leaf.key, "--chain", pki.chain, "--verbose"]
                            + nodes.flatMap { ["--node", $0] } + extra)
    }

    @Test func bothVirtualHostsAreOneJobWithOneConfigTestAndOneGracefulRestart() throws {
        try addEndpoint()
        let leaf = try leaf("both")
        let installed = try install(leaf)
        #expect(installed.exitStatus == 0, "\(installed.standardErrorText)\n\(apache.errorLog)")
        let new = try pki.fingerprint(leaf.certificate)
        #expect(try apache.servedFingerprint("shop.example.test") == new)
        #expect(try apache.servedFingerprint("shop.example.test", address: "::1") == new)
        #expect(try apache.servedFingerprint("blog.example.test") == new)
        let log = installed.standardErrorText.split(separator: "\n")
        let tests = log.filter { $0.contains("ran ") && $0.contains(" -t -> exit 0") }
        let graceful = log.filter { $0.contains("ran ") && $0.contains("-k graceful -> exit 0") }
        let replayed = log.filter { $0.contains("not run again for this node") && $0.contains("-k graceful") }
        #expect(tests.count == 1, "one apache2 -t:\n\(installed.standardErrorText)")
        #expect(graceful.count == 1, "one real graceful restart:\n\(installed.standardErrorText)")
        #expect(replayed.count == 1, "blog's graceful restart answered from shop's:\n\(installed.standardErrorText)")
        // Both nodes' edits are in the one site file: the second did not overwrite the first.
        let site = String(decoding: try LocalFiles.read(apache.file("sites-available/shop.conf")), as: UTF8.self)
        for id in nodes {
            let stem = "og-" + id.replacingOccurrences(of: "@", with: "_").replacingOccurrences(of: ":", with: "_")
            #expect(site.contains("SSLCertificateFile \(apache.file("certs"))/\(stem).crt"), "\(id): \(site)")
        }
        let strays = try FileManager.default.contentsOfDirectory(atPath: apache.file("certs")).filter { $0.contains(".og-") }
        #expect(strays.isEmpty, "\(strays)")
    }

    @Test func aConfigTestFailingAfterBothWereWrittenRollsBothBackByteForByte() throws {
        // apache2 -t fails once the site file names blog's new files, i.e. after the second node was written.
        let wrapper = work.file("apachectl-refusing")
        try LocalFiles.writeAtomically(wrapper, contents: Array("""
            #!/bin/sh
            for argument in "$@"; do
              if [ "$argument" = -t ] && grep -q 'og-blog' '\(apache.file("sites-available/shop.conf"))'; then
                echo 'AH00526: Syntax error (refused by the test)' >&2
                exit 1
              fi
            done
            exec \(ApacheInstance.binary) "$@"

            """.utf8), mode: 0o755)
        try addEndpoint(apachectl: wrapper)
        let before = apache.snapshot()
        let failed = try install(try leaf("refused"))
        #expect(failed.exitStatus == 6, "rolled back: \(failed.standardErrorText)")
        #expect(failed.standardErrorText.contains("refused by the test"), "\(failed.standardErrorText)")
        #expect(failed.standardErrorText.contains("every node of 'web' was rolled back"), "\(failed.standardErrorText)")
        #expect(!failed.standardErrorText.contains("-k graceful -> exit"), "nothing was reloaded before the rollback")
        let after = apache.snapshot()
        #expect(after.keys.sorted() == before.keys.sorted(), "files added or removed: \(Set(after.keys).symmetricDifference(before.keys))")
        for (path, bytes) in before where after[path] != bytes { Issue.record("\(path) is not back byte for byte") }
        #expect(apache.isRunning)
        #expect(try apache.servedFingerprint("shop.example.test") == pki.fingerprint(apache.originalShopCertificate))
        #expect(try apache.servedFingerprint("blog.example.test") == pki.fingerprint(apache.originalBlogCertificate))
    }

    /// Shop's edit removes a line above blog's virtual host, so a diff of blog
    /// made against the file as it is now would not apply where it says after
    /// shop's: the dry run diffs blog against shop's result, and the two diffs,
    /// applied in order by patch without fuzz or offset, give what the install writes.
    @Test func aDryRunDiffsBlogAgainstTheFileAsShopWouldLeaveIt() throws {
        try addEndpoint()
        let leaf = try leaf("planned")
        let before = apache.snapshot()
        let dryRun = try install(leaf, ["--dry-run"])
        #expect(dryRun.exitStatus == 0, "\(dryRun.standardErrorText)")
        #expect(apache.snapshot() == before, "a dry run changes nothing")
        let (path, pair) = try DryRunDiffs(dryRun.standardOutputText).sharedFile()
        #expect(path.hasSuffix("/sites-available/shop.conf"), "\(path)")
        try #require(pair.count == 2, "\(dryRun.standardOutputText)")
        #expect(pair[0].basis == "current" && pair[1].basis == "as node \(apache.shopID) would leave it", "\(pair.map(\.basis))")
        let planned = try DryRunDiffs.apply(pair, to: try LocalFiles.read(path))
        let installed = try install(leaf)
        #expect(installed.exitStatus == 0, "\(installed.standardErrorText)")
        let written = try LocalFiles.read(path)
        let difference = try UnifiedText.diff(planned, written)
        #expect(planned == written, "shop's diff then blog's is what the install wrote:\n\(difference)")
    }
}

/// `diff -u` of two byte strings, for failure messages.
enum UnifiedText {
    static func diff(_ old: [UInt8], _ new: [UInt8]) throws -> String {
        let work = try TemporaryDirectory("og-diff")
        try LocalFiles.writeAtomically(work.file("old"), contents: old)
        try LocalFiles.writeAtomically(work.file("new"), contents: new)
        return try ProcessRunner.run("diff", ["-u", work.file("old"), work.file("new")]).standardOutputText
    }
}
