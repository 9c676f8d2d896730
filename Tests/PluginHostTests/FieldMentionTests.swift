import Foundation
import OGHost
import Testing

/// The library names fields and never spells command-line options (issue 9):
/// a message mentions another input as "field `chain`", and the CLI renders
/// it as `--chain`.
@Suite struct FieldMentionTests {
    @Test func theCLIRendersFieldsAndMentionsAsOptions() {
        let error = GatewayError.option("cert", "is encrypted; give field `key-password` - or field `key-password` env:NAME")
        #expect(error.message(fieldName: { "--" + $0 }) == "--cert: is encrypted; give --key-password - or --key-password env:NAME")
        #expect(error.message == "cert: is encrypted; give field `key-password` - or field `key-password` env:NAME",
                "logs, the audit trail and a daemon see the mention as written")
        #expect(GatewayError.rendering("with field `ssh_key_path`, field `san-dns`.", fieldName: { "--" + $0 })
                == "with --ssh_key_path, --san-dns.")
        // Not mentions: an empty name, a space inside, an unclosed quote, a command in backticks.
        for text in ["field ``", "field `a b`", "field `open", "run `og-host tls recover`", "the field `", ""] {
            #expect(GatewayError.rendering(text, fieldName: { "--" + $0 }) == text)
        }
    }

    /// Every string literal under Host/ outside the CLI: no `--option`. The
    /// exceptions build argv for child processes or are plugin check's report
    /// (the words of `tls add <type>`/`tls update` and their help are read and
    /// written in Host/CLI, `EndpointWords`).
    @Test func theLibraryNeverSpellsAnOption() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let allowed: [String: String] = [
            "Host/BuildInfo/BuildInfoPlugin.swift": "git's argv",
            "Host/Conformance/ConformanceRunner.swift": "argv of the child og-host (plugin check --child)",
            "Host/Core/Plugins/ChildProcessDescriber.swift": "argv of the child og-host (plugins describe --child)",
            "Host/Core/Jobs/UnifiedDiff.swift": "diff's argv",
        ]
        // `--name` or `--\(expression)` inside a string literal (not `"--\r\n"`, a MIME boundary's end).
        let literalOption = try NSRegularExpression(pattern: #""[^"]*(?<![A-Za-z0-9-])--([a-z]|\\\()"#)
        var offenders: [String] = []
        let host = root.appendingPathComponent("Host")
        let files = FileManager.default.enumerator(atPath: host.path)?.compactMap { $0 as? String } ?? []
        for relative in files where relative.hasSuffix(".swift") && !relative.hasPrefix("CLI/") {
            let path = "Host/" + relative
            let text = try String(contentsOf: host.appendingPathComponent(relative), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("//") { continue }
                let range = NSRange(trimmed.startIndex..., in: trimmed)
                if literalOption.firstMatch(in: trimmed, range: range) != nil, allowed[path] == nil {
                    offenders.append("\(path):\(number + 1): \(trimmed)")
                }
            }
        }
        #expect(files.count > 100, "the Host sources were found at \(host.path)")
        #expect(offenders.isEmpty, "write field `name` instead:\n\(offenders.joined(separator: "\n"))")
    }
}
