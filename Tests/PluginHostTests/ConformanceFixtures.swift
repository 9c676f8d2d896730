import Foundation
import OGBasics
import OGTestSupport
import Testing

/// Builds the conformance fixtures (Tests/Fixtures/plugins/*.c) and finds the
/// real og-host the runner uses as its child.
enum ConformanceFixtures {
    static var sourceDirectory: String { BuiltProducts.repositoryRoot + "/Tests/Fixtures/plugins" }

    /// The og-host SwiftPM built next to this test bundle; the suite's child process.
    static func ogHost() throws -> String {
        let path = BuiltProducts.ogHost
        try #require(FileManager.default.isExecutableFile(atPath: path),
                     "og-host was not found next to the test bundle (\(path)); build it with `swift build --product og-host`")
        return path
    }

    /// Compiles `Tests/Fixtures/plugins/<name with _>.c` into `directory/libog-plugin-<name>.so`.
    static func compile(_ name: String, into directory: String) throws -> String {
        try #require(ProcessRunner.findExecutable("cc") != nil, "cc was not found on PATH; install the Debian package gcc")
        let source = "\(sourceDirectory)/\(name.replacingOccurrences(of: "-", with: "_")).c"
        let library = "\(directory)/libog-plugin-\(name).so"
        let output = try BuiltProducts.compileCPlugin(source: source, output: library, extraFlags: ["-I", sourceDirectory])
        try #require(output.exitStatus == 0, "\(source) did not compile: \(output.standardErrorText)")
        return library
    }

    /// The SDK's C example, compiled the way its README tells a C author to.
    static func helloC(into directory: String) throws -> String {
        try #require(ProcessRunner.findExecutable("cc") != nil, "cc was not found on PATH; install the Debian package gcc")
        let library = "\(directory)/libog-plugin-hello-c.so"
        let output = try BuiltProducts.compileCPlugin(source: BuiltProducts.repositoryRoot + "/SDK/examples/hello-c/hello_c.c",
                                                      output: library)
        try #require(output.exitStatus == 0, "hello_c.c did not compile: \(output.standardErrorText)")
        return library
    }

    /// The SDK's Swift example, built by SwiftPM beside og-host.
    static func helloSwift() throws -> String {
        let path = BuiltProducts.plugin("hello-swift")
        try #require(FileManager.default.fileExists(atPath: path),
                     "\(path) was not built; build it with `swift build --product og-plugin-hello-swift`")
        return path
    }
}
