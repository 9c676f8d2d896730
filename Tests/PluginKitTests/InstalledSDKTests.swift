import Foundation
import OGBasics
import OGTestSupport
import Testing

/// The SDK as a third party gets it: installed under a prefix by
/// SDK/install-sdk.sh, found by pkg-config for C, depended on by path for
/// Swift — with nothing of og-host's own (no GRDB, no ArgumentParser, no
/// checkout) in reach. Both plugins must then pass og-host's conformance check.
@Suite(.serialized) struct InstalledSDKTests {
    static func install(into directory: TemporaryDirectory) throws -> String {
        let staging = directory.file("staging")
        let installed = try ProcessRunner.run("/bin/sh", [BuiltProducts.repositoryRoot + "/SDK/install-sdk.sh",
                                                          "--prefix", "/usr", "--destdir", staging])
        try #require(installed.exitStatus == 0, "install-sdk.sh failed: \(installed.standardErrorText)")
        return staging
    }

    @Test func cPluginBuildsWithTheInstalledHeadersThroughPkgConfig() throws {
        let directory = try TemporaryDirectory("og-sdk-c")
        let staging = try Self.install(into: directory)
        let pcFile = try String(contentsOfFile: staging + "/usr/share/pkgconfig/og-plugin.pc", encoding: .utf8)
        #expect(pcFile.contains("prefix=/usr\n"), "the .pc names the install prefix, not the staging directory")
        #expect(!pcFile.contains(BuiltProducts.repositoryRoot), "the installed .pc points into the source checkout")

        let flags = try ProcessRunner.run("pkg-config", ["--cflags", "og-plugin"], environment: [
            "PKG_CONFIG_PATH": staging + "/usr/share/pkgconfig", "PKG_CONFIG_SYSROOT_DIR": staging,
            "PATH": EnvironmentVariable.value("PATH") ?? "/usr/bin:/bin"])
        let includeFlags = flags.standardOutputText.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        #expect(includeFlags.count == 1 && includeFlags[0].hasPrefix("-I") && includeFlags[0].hasSuffix("/staging/usr/include/og-host"),
                "\(includeFlags)")
        let library = directory.file("libog-plugin-hello-c.so")
        // The only include directory is the staged one: the checkout's SDK/include is not on any default path.
        let compiled = try ProcessRunner.run("cc", ["-std=c11", "-Wall", "-Wextra", "-Werror"]
                                             + includeFlags
                                             + ["-shared", "-fPIC", "-o", library, BuiltProducts.repositoryRoot + "/SDK/examples/hello-c/hello_c.c"])
        try #require(compiled.exitStatus == 0, "hello_c.c did not build against the installed SDK: \(compiled.standardErrorText)")
        let check = try ProcessRunner.run(BuiltProducts.ogHost, ["plugin", "check", library])
        #expect(check.exitStatus == 0, "\(check.standardOutputText)\(check.standardErrorText)")
    }

    /// Builds a scratch package whose only dependency is the installed Swift SDK.
    /// Its cost is one debug build of OGPluginKit plus one small file.
    @Test func outOfTreeSwiftPluginBuildsAgainstTheInstalledSDKAlone() throws {
        let swift = try #require(ProcessRunner.findExecutable("swift"), "swift is not on PATH")
        let directory = try TemporaryDirectory("og-sdk-swift")
        let staging = try Self.install(into: directory)
        let sdk = staging + "/usr/share/og-host/sdk"
        let package = directory.file("plugin")
        let fixture = BuiltProducts.repositoryRoot + "/Tests/Fixtures/sdk/out-of-tree"
        try FileManager.default.createDirectory(atPath: package + "/Sources/OutOfTree", withIntermediateDirectories: true)
        let manifest = try String(contentsOfFile: fixture + "/Package.swift.in", encoding: .utf8).replacingOccurrences(of: "@SDK@", with: sdk)
        try LocalFiles.writeAtomically(package + "/Package.swift", contents: Array(manifest.utf8))
        try FileManager.default.copyItem(atPath: fixture + "/Sources/OutOfTree/OutOfTreePlugin.swift",
                                         toPath: package + "/Sources/OutOfTree/OutOfTreePlugin.swift")
        try FileManager.default.copyItem(atPath: fixture + "/Tests", toPath: package + "/Tests")

        // Offline and alone: no access to og-host's resolved packages or its build.
        let started = ContinuousClock.now
        let built = try ProcessRunner.run(swift, ["build", "--package-path", package, "--scratch-path", directory.file("build"),
                                                  "--jobs", "2"],
                                          timeout: .seconds(900))
        print("out-of-tree Swift plugin built against the installed SDK in \(ContinuousClock.now - started)")
        try #require(built.exitStatus == 0, "the out-of-tree plugin did not build: \(built.standardOutputText)\(built.standardErrorText)")
        let resolved = (try? String(contentsOfFile: package + "/Package.resolved", encoding: .utf8)) ?? ""
        #expect(!resolved.contains("GRDB") && !resolved.contains("argument-parser"), "the SDK pulled og-host's dependencies: \(resolved)")

        let library = directory.file("build/debug/libog-plugin-out-of-tree.so")
        let check = try ProcessRunner.run(BuiltProducts.ogHost, ["plugin", "check", library])
        #expect(check.exitStatus == 0, "\(check.standardOutputText)\(check.standardErrorText)")

        // The plugin's own tests, against OGPluginTesting's in-memory host (PluginTestHost).
        let tested = try ProcessRunner.run(swift, ["test", "--package-path", package, "--scratch-path", directory.file("build"),
                                                   "--jobs", "2"], timeout: .seconds(900))
        #expect(tested.exitStatus == 0, "the out-of-tree plugin's tests failed: \(tested.standardOutputText)\(tested.standardErrorText)")
        #expect(tested.standardOutputText.contains("Test run with 3 tests"), "\(tested.standardOutputText)")
    }
}
