import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The unified diffs a `tls install --dry-run` prints, read back from its
/// output, and applied with patch(1) the way an operator would check them.
struct DryRunDiffs {
    struct Diff {
        let path: String
        /// What the old side is: "current", or "as node X would leave it".
        let basis: String
        let text: String
    }

    let diffs: [Diff]

    init(_ output: String) throws {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var diffs: [Diff] = []
        var index = 0
        while index < lines.count {
            guard lines[index].hasPrefix("--- "), index + 1 < lines.count, lines[index + 1].hasPrefix("+++ ") else { index += 1; continue }
            let header = lines[index].dropFirst(4)
            let open = try #require(header.range(of: " (", options: .backwards), "\(lines[index])")
            var text = [lines[index], lines[index + 1]]
            index += 2
            while index < lines.count, let first = lines[index].first, " -+@\\".contains(first), !lines[index].hasPrefix("--- ") {
                text.append(lines[index])
                index += 1
            }
            diffs.append(Diff(path: String(header[..<open.lowerBound]), basis: String(header[open.upperBound...].dropLast()),
                              text: text.joined(separator: "\n") + "\n"))
        }
        self.diffs = diffs
    }

    /// The diffs of the one file several nodes change, in the order printed.
    func sharedFile() throws -> (path: String, diffs: [Diff]) {
        let shared = Dictionary(grouping: diffs, by: \.path).filter { $0.value.count > 1 }
        try #require(shared.count == 1, "one file several nodes edit: \(diffs.map(\.path))")
        let (path, diffs) = try #require(shared.first)
        return (path, diffs)
    }

    /// `original`'s bytes with `diffs` applied in order by patch, refusing fuzz
    /// and recording an offset (a diff that does not apply where it says).
    static func apply(_ diffs: [Diff], to original: [UInt8]) throws -> [UInt8] {
        let work = try TemporaryDirectory("og-dry-run-patch")
        let copy = work.file("file")
        try LocalFiles.writeAtomically(copy, contents: original)
        for diff in diffs {
            let patched = try ProcessRunner.run("patch", ["--fuzz=0", "--no-backup-if-mismatch", copy], standardInput: Array(diff.text.utf8))
            #expect(patched.exitStatus == 0, "\(patched.standardOutputText)\(patched.standardErrorText)\n\(diff.text)")
            #expect(!patched.standardOutputText.contains("offset"), "the diff against \(diff.basis) applies where it says: \(patched.standardOutputText)")
        }
        return try LocalFiles.read(copy)
    }
}
