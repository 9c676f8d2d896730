/// What a finished command produced.
public struct CommandResult: Sendable, Equatable {
    /// The exit status; -1 when the command was killed by a signal.
    public var exitStatus: Int32
    public var standardOutput: [UInt8]
    public var standardError: [UInt8]

    public init(exitStatus: Int32, standardOutput: [UInt8], standardError: [UInt8]) {
        self.exitStatus = exitStatus
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    public var succeeded: Bool { exitStatus == 0 }
    public var standardOutputText: String { String(decoding: standardOutput, as: UTF8.self) }
    public var standardErrorText: String { String(decoding: standardError, as: UTF8.self) }

    /// Returns `self` when the command exited 0, otherwise throws
    /// `ConnectionError.commandFailed` naming the program and its error output.
    @discardableResult
    public func requireSuccess(_ argv: [String]) throws -> CommandResult {
        guard succeeded else {
            throw ConnectionError.commandFailed(program: argv.first ?? "", exitStatus: exitStatus,
                                                standardError: standardErrorText)
        }
        return self
    }
}
