import Foundation
import OGBasics
import OGTestSupport
import Testing

/// og_plugin_util.h, the C helpers the SDK offers: Tests/Fixtures/sdk/util_check.c
/// exercises each (RFC 6125 name matching, path joining, PEM scanning, results
/// that own their strings, option lookup) under AddressSanitizer and
/// UndefinedBehaviorSanitizer, so an overread or a leak fails the run as well as
/// a wrong answer. Also built as C++ to keep the header usable from there.
struct CHelperTests {
    @Test func helpersBehaveAsDocumentedUnderSanitizers() throws {
        try #require(ProcessRunner.findExecutable("cc") != nil, "cc was not found on PATH; install the Debian package gcc")
        let directory = try TemporaryDirectory("og-util")
        let program = directory.file("util_check")
        let compiled = try ProcessRunner.run("cc", ["-std=c11", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined",
                                                    "-fno-sanitize-recover=undefined", "-I", BuiltProducts.repositoryRoot + "/SDK/include",
                                                    "-o", program, BuiltProducts.repositoryRoot + "/Tests/Fixtures/sdk/util_check.c"])
        try #require(compiled.exitStatus == 0, "util_check.c did not compile: \(compiled.standardErrorText)")
        let run = try ProcessRunner.run(program, [])
        #expect(run.exitStatus == 0, "\(run.standardOutputText)\(run.standardErrorText)")
        #expect(run.standardOutputText == "all og_plugin_util.h checks passed\n")
    }

    @Test func headerCompilesAsCPlusPlus() throws {
        try #require(ProcessRunner.findExecutable("c++") != nil, "c++ was not found on PATH; install the Debian package g++")
        let directory = try TemporaryDirectory("og-util")
        let source = directory.file("use.cpp")
        try Array("#include <og_plugin_util.h>\nint main() { return og_name_matches(og_str_of(\"*.a.b\"), og_str_of(\"x.a.b\")) ? 0 : 1; }\n".utf8)
            .write(to: source)
        let compiled = try ProcessRunner.run("c++", ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-I", BuiltProducts.repositoryRoot + "/SDK/include",
                                                     "-o", directory.file("use"), source])
        try #require(compiled.exitStatus == 0, "og_plugin_util.h did not compile as C++: \(compiled.standardErrorText)")
        #expect(try ProcessRunner.run(directory.file("use"), []).exitStatus == 0)
    }
}

private extension Array where Element == UInt8 {
    func write(to path: String) throws { try LocalFiles.writeAtomically(path, contents: self) }
}
