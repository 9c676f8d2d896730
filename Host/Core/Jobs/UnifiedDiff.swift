import Foundation
import OGBasics

/// A unified diff of two versions of a configuration file, as `diff -u`
/// prints it, for dry runs. Written to a private temporary directory because
/// diff reads files, and removed straight after.
enum UnifiedDiff {
    /// `basis` names what `old` is when it is not the file as it is now (a dry
    /// run's later node is diffed against an earlier node's planned result).
    static func render(path: String, old: [UInt8], new: [UInt8], basis: String? = nil) throws -> String {
        if old == new { return "  (unchanged)\n" }
        var template = Array("\(NSTemporaryDirectory())/og-diff-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw GatewayError("could not create a temporary directory for the diff")
        }
        let directory = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try LocalFiles.writeAtomically("\(directory)/old", contents: old, mode: 0o600)
        try LocalFiles.writeAtomically("\(directory)/new", contents: new, mode: 0o600)
        let output = try ProcessRunner.run("diff", ["-u", "--label", "\(path) (\(basis ?? "current"))", "--label", "\(path) (planned)",
                                                    "\(directory)/old", "\(directory)/new"])
        guard output.exitStatus <= 1 else { throw GatewayError("diff failed: \(output.standardErrorText)") }
        return output.standardOutputText
    }
}
