/// A failure of an og-host command, phrased for the operator: what is wrong
/// with which input, and what to do. The CLI prints `message` and exits with
/// `exitCode`; nothing was changed unless the message says so.
public struct GatewayError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var exitCode: Int32

    public init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }

    /// A problem with one command-line option: `--port: 70000 is not between 1 and 65535`.
    public static func option(_ name: String, _ problem: String) -> GatewayError {
        GatewayError("--\(name): \(problem)", exitCode: 2)
    }

    public var description: String { message }
}
