import Foundation
import OGBasics

/// A unified diff of two versions of a configuration file, as `diff -u`
/// prints it, for dry runs. Written to a private temporary directory because
/// diff reads files, and removed straight after.
enum UnifiedDiff {
    static func render(path: String, old: [UInt8], new: [UInt8]) throws -> String {
        if old == new { return "  (unchanged)\n" }
        var template = Array("\(NSTemporaryDirectory())/og-diff-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw GatewayError("could not create a temporary directory for the diff")
        }
        let directory = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try LocalFiles.writeAtomically("\(directory)/old", contents: old, mode: 0o600)
        try LocalFiles.writeAtomically("\(directory)/new", contents: new, mode: 0o600)
        let output = try ProcessRunner.run("diff", ["-u", "--label", "\(path) (current)", "--label", "\(path) (planned)",
                                                    "\(directory)/old", "\(directory)/new"])
        guard output.exitStatus <= 1 else { throw GatewayError("diff failed: \(output.standardErrorText)") }
        return output.standardOutputText
    }
}
