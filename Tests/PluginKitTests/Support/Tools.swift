import OGBasics

/// A command-line tool the tests need, with the Debian package that provides it.
enum Tool {
    /// The tool's full path. A missing tool fails the test with a message
    /// naming the package to install, never a silent skip.
    static func require(_ name: String, debianPackage: String) throws -> String {
        guard let path = ProcessRunner.findExecutable(name) else {
            throw MissingTool(name: name, debianPackage: debianPackage)
        }
        return path
    }

    struct MissingTool: Error, CustomStringConvertible {
        let name: String
        let debianPackage: String
        var description: String { "\(name) is not installed; install the Debian package \(debianPackage)" }
    }
}

/// The repository's root, found from this file's place in it.
enum Repository {
    static let root: String = {
        var components = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(4) // Tests/PluginKitTests/Support/Tools.swift
        return components.joined(separator: "/")
    }()
}
