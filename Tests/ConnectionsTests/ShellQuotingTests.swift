import Foundation
import OGBasics
@testable import OGConnections
import OGTestSupport
import Testing

struct ShellQuotingTests {
    static let hostileArguments = [
        "plain", "", "two words", "it's", "'", "''", "\"double\"", "$(touch pwned)", "`touch pwned`", "$HOME", "${IFS}",
        "a\nnew line", "tab\there", "back\\slash", "*", "~", "-n", ";", "&&", "|", ">out", "ünïcödé ✓", "\u{2019}curly",
    ]

    @Test func posixQuotingSurvivesARealShellUnchanged() throws {
        let line = ShellQuoting.posix.commandLine(["printf", "%s\\0"] + Self.hostileArguments)
        // A quoting bug would `touch` in this directory, where the test looks.
        let temporary = try TemporaryDirectory("og-quoting")
        let output = try ProcessRunner.run("/bin/sh", ["-c", line], workingDirectory: temporary.path)
        #expect(output.exitStatus == 0, "\(output.standardErrorText)")
        let received = output.standardOutput.split(separator: 0, omittingEmptySubsequences: false).dropLast()
            .map { String(decoding: $0, as: UTF8.self) }
        #expect(received == Self.hostileArguments)
        #expect(!FileManager.default.fileExists(atPath: "\(temporary.path)/pwned"))
    }

    @Test func posixQuotesEveryArgumentInSingleQuotes() {
        #expect(ShellQuoting.posix.quote("it's") == "'it'\\''s'")
        #expect(ShellQuoting.posix.quote("") == "''")
        #expect(ShellQuoting.posix.commandLine(["ls", "-l", "a b"]) == "'ls' '-l' 'a b'")
    }

    @Test func powerShellDoublesEverySingleQuoteVariant() {
        #expect(ShellQuoting.powerShell.quote("it's") == "'it''s'")
        #expect(ShellQuoting.powerShell.quote("a\u{2018}b\u{2019}c") == "'a\u{2018}\u{2018}b\u{2019}\u{2019}c'")
        #expect(ShellQuoting.powerShell.quote("$(Remove-Item C:\\)") == "'$(Remove-Item C:\\)'")
        #expect(ShellQuoting.powerShell.quote("") == "''")
    }

    @Test func powerShellKeepsParameterNamesBareAndQuotesValues() {
        let line = ShellQuoting.powerShell.commandLine(["Import-PfxCertificate", "-FilePath", "C:\\my certs\\a.pfx",
                                                        "-CertStoreLocation:", "Cert:\\LocalMachine\\My", "-1", "--", "-"])
        #expect(line == "& 'Import-PfxCertificate' -FilePath 'C:\\my certs\\a.pfx' -CertStoreLocation: 'Cert:\\LocalMachine\\My' '-1' '--' '-'")
    }

    @Test func powerShellEncodedCommandIsBase64OfUTF16LittleEndian() throws {
        let argv = ["certutil.exe", "-f", "it's \u{2019} $(x) \"q\"", "ünï"]
        let line = PowerShellCommand.commandLine(argv, hasStandardInput: false)
        let prefix = "powershell.exe -NoProfile -NonInteractive -EncodedCommand "
        #expect(line.hasPrefix(prefix))
        let encoded = String(line.dropFirst(prefix.count))
        // cmd.exe on the server must see nothing it could interpret.
        #expect(encoded.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+/=".contains($0)) })
        let data = try #require(Data(base64Encoded: encoded))
        let units = stride(from: 0, to: data.count, by: 2).map { UInt16(data[$0]) | UInt16(data[$0 + 1]) << 8 }
        let decoded = String(decoding: units, as: UTF16.self)
        #expect(decoded == PowerShellCommand.script(argv, hasStandardInput: false))
        #expect(decoded.contains("& 'certutil.exe' -f 'it''s \u{2019}\u{2019} $(x) \"q\"' 'ünï'"))
        #expect(decoded.contains("exit $LASTEXITCODE"))
    }

    @Test func powerShellPipesStandardInputOnlyWhenThereIsSome() {
        #expect(PowerShellCommand.script(["cmd"], hasStandardInput: true).contains("$input | & 'cmd'"))
        #expect(!PowerShellCommand.script(["cmd"], hasStandardInput: false).contains("$input"))
    }
}
