import Foundation
import OGBasics
import Testing

/// OGBasics splits paths without Foundation. Trust messages and atomic writes name the
/// directories it computes, so for the paths og-host builds ("directory/file") they must be
/// what NSString computed before; the odd cases are spelled out (NSString traps on a bare
/// name in this toolchain and gives "" for "//").
struct PathComponentsTests {
    static let expected: [(path: String, parent: String, last: String)] = [
        ("", "", ""), ("/", "/", "/"), ("//", "/", "/"), ("a", "", "a"), ("a/", "", "a"), ("/a", "/", "a"), ("/a/", "/", "a"),
        ("a/b", "a", "b"), ("a//b", "a", "b"), ("/a/b", "/a", "b"), ("/a/b/", "/a", "b"), ("/a//b//", "/a", "b"),
        ("//a", "/", "a"), ("./x", ".", "x"), ("../x/y", "../x", "y"), ("/tmp/a b/é/c.so", "/tmp/a b/é", "c.so"),
    ]

    @Test func parentAndLastOfEachKindOfPath() {
        for (path, parent, last) in Self.expected {
            #expect(PathComponents.parent(of: path) == parent, "parent of '\(path)'")
            #expect(PathComponents.last(of: path) == last, "last component of '\(path)'")
        }
    }

    static let built = ["/usr/lib/og-host/plugins.d/libog-plugin-x.so", "/a/b", "/a/b/", "/tmp/a b/é/c.so", "plugins.d/libog-plugin-x.so",
                        "../x/y", "/data/.build/debug", "/x"]

    @Test(arguments: built)
    func parentAndLastAreNSStringsForBuiltPaths(_ path: String) {
        #expect(PathComponents.parent(of: path) == (path as NSString).deletingLastPathComponent)
        #expect(PathComponents.last(of: path) == (path as NSString).lastPathComponent)
    }
}
