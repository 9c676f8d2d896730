import Foundation
import OGBasics
import OGTestSupport
import Testing

/// A private og-host world for one test: its own data directory and a plugins
/// directory holding the two SDK examples (the Swift one SwiftPM built and the C
/// one compiled here the way a C author would), each with its manifest.
final class GatewayFixture: @unchecked Sendable {
    let root: TemporaryDirectory
    let pluginsDirectory: String
    let dataDirectory: String

    init(plugins: [String] = ["hello-swift", "hello-c"]) throws {
        root = try TemporaryDirectory("og-e2e")
        pluginsDirectory = root.file("plugins.d")
        dataDirectory = root.file("data")
        try FileManager.default.createDirectory(atPath: pluginsDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        chmod(root.path, 0o755)
        for plugin in plugins {
            let target = "\(pluginsDirectory)/libog-plugin-\(plugin).so"
            if plugin == "hello-c" {
                let output = try BuiltProducts.compileCPlugin(
                    source: BuiltProducts.repositoryRoot + "/SDK/examples/hello-c/hello_c.c", output: target)
                try #require(output.exitStatus == 0, "hello-c did not compile: \(output.standardErrorText)")
            } else {
                try LocalFiles.writeAtomically(target, contents: try LocalFiles.read(BuiltProducts.plugin(plugin)), mode: 0o755)
            }
        }
        let manifests = try BuiltProducts.runOGHost(["plugins", "manifest"] + plugins.map { "\(pluginsDirectory)/libog-plugin-\($0).so" },
                                                    environment: environment)
        try #require(manifests.exitStatus == 0, "manifests: \(manifests.standardErrorText)")
    }

    /// A crashed job holds its endpoint for its lease (30 s by default); 3 s
    /// here, less than the 5 s a next job waits by default, so a test's
    /// `tls recover` after an injected crash waits the lease out and recovers.
    var environment: [String: String] {
        ["OG_DATA_DIR": dataDirectory, "OG_PLUGIN_PATH": pluginsDirectory, "OG_JOB_LEASE_SECONDS": "3"]
    }

    func run(_ arguments: [String], standardInput: [UInt8] = [], extraEnvironment: [String: String] = [:]) throws -> ProcessOutput {
        try BuiltProducts.runOGHost(arguments, environment: environment.merging(extraEnvironment) { $1 },
                                    standardInput: standardInput)
    }

    /// Every byte under the data directory, for "nothing written" and "no secret on disk" checks.
    func dataDirectoryContents() -> [String: [UInt8]] {
        var contents: [String: [UInt8]] = [:]
        guard let enumerator = FileManager.default.enumerator(atPath: dataDirectory) else { return contents }
        for case let relative as String in enumerator {
            let path = "\(dataDirectory)/\(relative)"
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                contents[relative] = (try? LocalFiles.read(path)) ?? []
            }
        }
        return contents
    }
}
