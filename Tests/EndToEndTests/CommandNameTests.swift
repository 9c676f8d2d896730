import Foundation
import OGBasics
import OGTestSupport
import Testing

/// A command without an explicit `commandName` makes swift-argument-parser
/// derive it with `String(describing:)`, which scans every protocol
/// conformance record of every loaded library: that was half of
/// `og-host plugins list`. Every command in Host/CLI names itself.
@Suite struct CommandNameTests {
    @Test func everyCommandConfigurationNamesItsCommand() throws {
        let directory = "\(BuiltProducts.repositoryRoot)/Host/CLI"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".swift") }
        var unnamed: [String] = []
        for file in files {
            let text = String(decoding: try LocalFiles.read("\(directory)/\(file)"), as: UTF8.self)
            var rest = Substring(text)
            while let start = rest.range(of: "CommandConfiguration(") {
                var depth = 1
                var index = start.upperBound
                while depth > 0, index < rest.endIndex {
                    if rest[index] == "(" { depth += 1 } else if rest[index] == ")" { depth -= 1 }
                    index = rest.index(after: index)
                }
                if !rest[start.upperBound..<index].contains("commandName:") {
                    let line = text[..<start.lowerBound].filter { $0 == "\n" }.count + 1
                    unnamed.append("\(file):\(line)")
                }
                rest = rest[index...]
            }
        }
        #expect(unnamed.isEmpty, "CommandConfiguration without commandName: \(unnamed)")
    }
}
