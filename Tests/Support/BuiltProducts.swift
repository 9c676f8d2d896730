import Foundation
import OGBasics

/// The products SwiftPM built next to the running test bundle
/// (`.build/<configuration>/`): og-host and the plugin libraries.
public enum BuiltProducts {
    public static var directory: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = (executable as NSString).deletingLastPathComponent
        // swift test runs `<name>PackageTests.xctest` directly in the products folder.
        while !FileManager.default.fileExists(atPath: directory + "/og-host") && directory != "/" {
            directory = (directory as NSString).deletingLastPathComponent
        }
        return directory
    }

    public static var ogHost: String { directory + "/og-host" }

    public static func plugin(_ name: String) -> String { directory + "/libog-plugin-\(name).so" }

    /// Copies the built plugin `name` into `pluginsDirectory` (created 0755 when missing; og-host
    /// refuses plugins others can write), mode 0755, and returns the copy's path.
    public static func stagePlugin(_ name: String, into pluginsDirectory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: pluginsDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        let staged = "\(pluginsDirectory)/libog-plugin-\(name).so"
        try LocalFiles.writeAtomically(staged, contents: try LocalFiles.read(plugin(name)), mode: 0o755)
        return staged
    }

    /// The repository root (holds Package.swift).
    public static var repositoryRoot: String {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
        while !FileManager.default.fileExists(atPath: directory + "/Package.swift") && directory != "/" {
            directory = (directory as NSString).deletingLastPathComponent
        }
        return directory
    }

    /// Runs the real og-host binary. `OG_DATA_DIR`/`OG_PLUGIN_PATH` come from `environment`.
    public static func runOGHost(_ arguments: [String], environment: [String: String], standardInput: [UInt8] = [],
                                 timeout: Duration = .seconds(120)) throws -> ProcessOutput {
        var merged = EnvironmentVariable.all()
        merged.removeValue(forKey: "OG_DATA_DIR")
        merged.removeValue(forKey: "OG_PLUGIN_PATH")
        for (key, value) in environment { merged[key] = value }
        return try ProcessRunner.run(ogHost, arguments, standardInput: standardInput, environment: merged, timeout: timeout)
    }

    /// Compiles a C plugin the way a C author would (`cc -std=c11 -Wall -Wextra -Werror -shared -fPIC`).
    public static func compileCPlugin(source: String, output: String, extraFlags: [String] = []) throws -> ProcessOutput {
        try ProcessRunner.run("cc", ["-std=c11", "-Wall", "-Wextra", "-Werror", "-I", repositoryRoot + "/SDK/include",
                                     "-shared", "-fPIC"] + extraFlags + ["-o", output, source])
    }
}
