import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The command line's edge: bytes that are not UTF-8 and control characters
/// are refused naming the option they were given for, `--option --help`
/// is a missing value rather than a help request that exits 0, and a
/// single-valued option given twice is refused instead of silently keeping
/// the last value. Every refusal is a usage error (exit 2) that changes nothing.
@Suite struct ArgumentEdgeTests {
    let fixture: GatewayFixture

    init() throws {
        fixture = try GatewayFixture(plugins: ["keystore"])
    }

    func expectUsageError(_ arguments: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = fixture.dataDirectoryContents()
        let result = try fixture.run(arguments)
        #expect(result.exitStatus == 2, "\(arguments): \(result.standardErrorText)", sourceLocation: sourceLocation)
        #expect(result.standardErrorText.contains(message), "\(arguments): \(result.standardErrorText)", sourceLocation: sourceLocation)
        #expect(result.standardOutputText.isEmpty, sourceLocation: sourceLocation)
        #expect(fixture.dataDirectoryContents().keys.sorted() == before.keys.sorted(), "nothing written", sourceLocation: sourceLocation)
    }

    @Test func controlCharactersAreRefusedNamingTheOption() throws {
        try expectUsageError(["cert", "request", "--name", "web\u{07}prod", "--cn", "web.example.test"],
                             "--name: contains a control character (U+0007)")
        try expectUsageError(["cert", "request", "--name=web\u{1B}[31m", "--cn", "web.example.test"],
                             "--name: contains a control character (U+001B)")
        try expectUsageError(["tls", "add", "p12", "--name", "ks", "--path", "/tmp/a\nb.p12"],
                             "--path: contains a control character (U+000A)")
        try expectUsageError(["tls", "show", "web\u{85}"], "argument 3: contains a control character (U+0085)")
    }

    /// Bytes that are not UTF-8 cannot pass through a Swift string, so the shell makes them.
    @Test func invalidUTF8IsRefusedNamingTheOption() throws {
        let script = #"exec "$0" cert request --name "$(printf 'web\377')" --cn web.example.test"#
        let result = try ProcessRunner.run("/bin/sh", ["-c", script, BuiltProducts.ogHost],
                                           environment: EnvironmentVariable.all().merging(fixture.environment) { $1 })
        #expect(result.exitStatus == 2, "\(result.standardErrorText)")
        #expect(result.standardErrorText.contains("--name: is not valid UTF-8 (byte 0xFF at offset 3)"), "\(result.standardErrorText)")
        #expect(fixture.dataDirectoryContents().isEmpty || !fixture.dataDirectoryContents().keys.contains { $0.contains("keys/") })
    }

    @Test func helpWhereAValueBelongsIsAMissingValue() throws {
        try expectUsageError(["cert", "request", "--name", "--help"], "--name: needs a value, and --help is not one")
        try expectUsageError(["tls", "list", "--output", "-h"], "--output: needs a value, and -h is not one")
        try expectUsageError(["tls", "add", "p12", "--name", "--help"], "--name: needs a value, and --help is not one")
        // Help on its own, and after a flag, is still help.
        let help = try fixture.run(["cert", "request", "--help"])
        #expect(help.exitStatus == 0 && help.standardOutputText.contains("--name"), "\(help.standardErrorText)")
        let afterFlag = try fixture.run(["cert", "request", "--force", "--help"])
        #expect(afterFlag.exitStatus == 0, "\(afterFlag.standardErrorText)")
        let typeHelp = try fixture.run(["tls", "add", "p12", "--help"])
        #expect(typeHelp.exitStatus == 0, "\(typeHelp.standardErrorText)")
    }

    @Test func aSingleValuedOptionGivenTwiceIsRefused() throws {
        try expectUsageError(["cert", "request", "--name", "a", "--cn", "a.example.test", "--name", "b"],
                             "--name: given 2 times ('a', 'b'); it takes one value, give it once")
        try expectUsageError(["tls", "list", "--output=json", "--output", "text"], "--output: given 2 times")
        // Options that take several values still repeat.
        let repeated = try fixture.run(["cert", "request", "--name", "multi", "--cn", "a.example.test",
                                        "--key", "ec-p256", "--san-dns", "a.example.test", "--san-dns", "b.example.test", "--out", "-"])
        #expect(repeated.exitStatus == 0, "\(repeated.standardErrorText)")
        #expect(repeated.standardOutputText.contains("BEGIN CERTIFICATE REQUEST"))
    }
}
