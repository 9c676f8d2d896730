import OGBasics
import OGTestSupport

/// A command-line tool a test needs but cannot find; the message names the Debian package.
struct MissingTool: Error, CustomStringConvertible {
    let name: String
    let package: String
    var description: String { "\(name) is not installed; install the Debian package '\(package)' (apt-get install \(package))" }
}

/// A tool run that exited non-zero, with everything it printed.
struct ToolFailed: Error, CustomStringConvertible {
    let command: String
    let output: ProcessOutput
    var description: String {
        "\(command) exited with \(output.exitStatus):\n\(output.standardOutputText)\n\(output.standardErrorText)"
    }
}

/// The real CLIs the material tests compare against. Passwords always go
/// through files (`-passin file:`, `-storepass:file`), never argv.
enum Tools {
    static func locate(_ name: String, package: String) throws -> String {
        guard let path = ProcessRunner.findExecutable(name) else { throw MissingTool(name: name, package: package) }
        return path
    }

    /// Runs `name` and returns its output; throws unless it exits 0 (or `allowFailure`).
    @discardableResult
    static func run(_ name: String, package: String, _ arguments: [String], input: [UInt8] = [],
                    in directory: String? = nil, allowFailure: Bool = false) throws -> ProcessOutput {
        let path = try locate(name, package: package)
        let output = try ProcessRunner.run(path, arguments, standardInput: input, workingDirectory: directory)
        if output.exitStatus != 0 && !allowFailure {
            throw ToolFailed(command: ([name] + arguments).joined(separator: " "), output: output)
        }
        return output
    }

    @discardableResult
    static func openssl(_ arguments: [String], input: [UInt8] = [], in directory: String? = nil,
                        allowFailure: Bool = false) throws -> ProcessOutput {
        try run("openssl", package: "openssl", arguments, input: input, in: directory, allowFailure: allowFailure)
    }

    @discardableResult
    static func keytool(_ arguments: [String], in directory: String? = nil, allowFailure: Bool = false) throws -> ProcessOutput {
        try run("keytool", package: "openjdk-17-jre-headless", arguments, in: directory, allowFailure: allowFailure)
    }

    @discardableResult
    static func javac(_ arguments: [String], in directory: String? = nil) throws -> ProcessOutput {
        try run("javac", package: "openjdk-17-jdk-headless", arguments, in: directory)
    }

    @discardableResult
    static func java(_ arguments: [String], in directory: String? = nil, allowFailure: Bool = false) throws -> ProcessOutput {
        try run("java", package: "openjdk-17-jre-headless", arguments, in: directory, allowFailure: allowFailure)
    }
}

extension TemporaryDirectory {
    /// Writes `contents` to a file in the directory and returns its path.
    @discardableResult
    func write(_ name: String, _ contents: [UInt8]) throws -> String {
        let path = file(name)
        try LocalFiles.writeAtomically(path, contents: contents, mode: 0o600)
        return path
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    func read(_ name: String) throws -> [UInt8] { try LocalFiles.read(file(name)) }
}
