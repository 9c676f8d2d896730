import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The exit-code table (README, `og-host --help`): every error category ends
/// og-host with its own code, usage errors included, and `--version` says
/// what was built.
@Suite struct ExitCodeTests {
    let fixture: GatewayFixture

    init() throws {
        fixture = try GatewayFixture(plugins: ["hello-c"])
    }

    @Test func versionNamesTheReleaseTheABIAndTheCommit() throws {
        let version = try fixture.run(["--version"])
        #expect(version.exitStatus == 0, "\(version.standardErrorText)")
        let lines = version.standardOutputText.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(lines)")
        #expect(lines.first?.hasPrefix("og-host ") == true)
        let header = try String(contentsOfFile: BuiltProducts.repositoryRoot + "/SDK/include/og_plugin.h", encoding: .utf8)
        func define(_ name: String) -> String? {
            header.split(separator: "\n").first { $0.hasPrefix("#define \(name) ") }?.split(separator: " ").last.map(String.init)
        }
        let abi = "\(try #require(define("OG_ABI_MAJOR"))).\(try #require(define("OG_ABI_MINOR")))"
        #expect(lines.contains("plugin ABI \(abi)"), "the ABI og_plugin.h defines: \(lines)")
        // The Swift release a Swift plugin must be built with: the toolchain that built this host.
        let swift = try ProcessRunner.run("swift", ["--version"]).standardOutputText
        let release = swift.firstMatch(of: /Swift version (\d+\.\d+)/).map { String($0.1) }
        #expect(release.map { lines.contains("Swift plugins: Swift \($0)") } ?? false, "\(lines) vs \(swift)")
        let commit = try #require(lines.last)
        let inGit = try ProcessRunner.run("git", ["-C", BuiltProducts.repositoryRoot, "rev-parse", "HEAD"]).exitStatus == 0
        if inGit {
            // A commit of this checkout (the one built, which a later commit may have followed), maybe with local changes.
            let hash = String(commit.dropFirst("commit ".count).prefix(12))
            #expect(hash.count == 12 && hash.allSatisfy(\.isHexDigit), "\(commit)")
            let known = try ProcessRunner.run("git", ["-C", BuiltProducts.repositoryRoot, "cat-file", "-e", hash + "^{commit}"])
            #expect(known.exitStatus == 0, "\(commit) is a commit of this repository")
        } else {
            #expect(commit == "commit unknown")
        }
    }

    @Test func helpDocumentsTheExitCodes() throws {
        let help = try fixture.run(["--help"])
        #expect(help.exitStatus == 0)
        for line in ["0  success", "2  bad input or usage", "3  not found", "4  conflict: endpoint busy",
                     "5  authentication refused", "6  the endpoint failed; every change was rolled back",
                     "7  the endpoint may be inconsistent", "8  transient", "9  partial: some targets succeeded"] {
            #expect(help.standardOutputText.contains(line), "\(line)")
        }
    }

    @Test func usageErrorsExit2LikeEveryOtherBadInput() throws {
        for arguments in [["tls", "install"], ["tls", "list", "--output", "yaml"], ["no-such-command"],
                          ["tls", "list", "--no-such-option"], ["audit", "--limit", "many"]] {
            let result = try fixture.run(arguments)
            #expect(result.exitStatus == 2, "\(arguments): exit \(result.exitStatus) \(result.standardErrorText)")
            #expect(!result.standardErrorText.isEmpty, "\(arguments) says why")
        }
        let library = try fixture.run(["audit", "--limit", "0"])
        #expect(library.exitStatus == 2)
        #expect(library.standardErrorText.contains("--limit: 0 is not between 1 and 100000"), "the field as its option")
    }

    @Test func eachCategoryHasItsCode() throws {
        let missing = try fixture.run(["tls", "show", "nowhere"])
        #expect(missing.exitStatus == 3, "not found: \(missing.standardErrorText)")
        let unknownType = try fixture.run(["tls", "add", "no_such_type", "--name", "x"])
        #expect(unknownType.exitStatus == 3, "not found: \(unknownType.standardErrorText)")

        let work = try TemporaryDirectory("og-exit")
        let add = ["tls", "add", "pem_dir", "--name", "web", "--connection_type", "local", "--cert_dir", work.path]
        #expect(try fixture.run(add).exitStatus == 0)
        let taken = try fixture.run(add)
        #expect(taken.exitStatus == 4, "conflict: \(taken.standardErrorText)")
        #expect(taken.standardErrorText.contains("--name: 'web' is already used"))

        let bad = try fixture.run(["tls", "add", "pem_dir", "--name", "other", "--connection_type", "local",
                                   "--cert_dir", work.path, "--port", "1"])
        #expect(bad.exitStatus == 2, "bad input: \(bad.standardErrorText)")
    }
}
