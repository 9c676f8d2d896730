import Foundation

/// A real server (sshd, nginx, ...) started by a test in the foreground as its
/// child, and stopped by PID when the value goes away.
public final class ChildServer: @unchecked Sendable {
    public let process: Process
    public let logPath: String

    /// Starts `executable` and waits for it to listen on `port`.
    public init(_ executable: String, _ arguments: [String], port: UInt16, logPath: String,
                environment: [String: String]? = nil, timeout: TimeInterval = 60) throws {
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        self.logPath = logPath
        try process.run()
        guard Loopback.waitForListener(port: port, timeout: timeout) else {
            stop()
            let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw ChildServerError.didNotListen(executable: executable, port: port, log: output)
        }
    }

    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

public enum ChildServerError: Error, CustomStringConvertible {
    case didNotListen(executable: String, port: UInt16, log: String)
    public var description: String {
        switch self {
        case .didNotListen(let executable, let port, let log):
            return "\(executable) did not listen on 127.0.0.1:\(port). Its output:\n\(log)"
        }
    }
}
