import Foundation

/// A remote cmd shell on the endpoint, created on first use and reused for
/// every command of the connection (one shell per command would double the
/// round trips). Not thread-safe: `WinRMConnection` serialises calls.
final class WinRMShell {
    private let transport: WinRMTransport
    private let url: String
    private let host: String
    private let port: Int
    private var shellID: String?
    /// How long one Receive may wait on the server for output (WS-Man OperationTimeout).
    static let receiveWait: Duration = .seconds(20)
    /// What stdin is sent in: a Send stays well within the smallest default MaxEnvelopeSize.
    static let stdinChunkSize = 96 * 1024

    init(transport: WinRMTransport, url: String, host: String, port: Int) {
        self.transport = transport
        self.url = url
        self.host = host
        self.port = port
    }

    /// Runs `command arguments...` with `standardInput`, waiting at most `timeout`.
    func run(_ command: String, arguments: [String], standardInput: [UInt8], timeout: Duration,
             description: String) throws -> CommandResult {
        let deadline = ContinuousClock.now + timeout
        let shell = try open(timeout: timeout)
        let started = try request(.command, shellID: shell, timeout: timeout, options: WinRMMessages.commandOptions,
                                  body: WinRMMessages.commandBody(command, arguments: arguments), operation: "starting \(description)")
        guard let commandID = WinRMMessages.elementText("CommandId", in: started) else {
            throw ConnectionError.couldNotConnect(host: host, port: port, reason: "the WinRM reply to Command has no CommandId")
        }
        var offset = 0
        while offset < standardInput.count {
            let end = min(standardInput.count, offset + Self.stdinChunkSize)
            _ = try request(.send, shellID: shell, timeout: remaining(deadline, timeout, description),
                            body: WinRMMessages.sendBody(commandID: commandID, data: Array(standardInput[offset..<end]),
                                                         end: end == standardInput.count),
                            operation: "sending input to \(description)")
            offset = end
        }
        var output: [UInt8] = [], error: [UInt8] = []
        while true {
            let left = try remainingOrStop(deadline, timeout, description, shell: shell, commandID: commandID)
            let wait = min(left, Self.receiveWait)
            let reply: String
            do {
                reply = try request(.receive, shellID: shell, timeout: wait + .seconds(10), operationTimeout: wait,
                                    body: WinRMMessages.receiveBody(commandID: commandID), operation: "waiting for \(description)")
            } catch WinRMFault.operationTimedOut {
                continue // no output yet; the command is still running
            }
            let received = WinRMMessages.receiveOutput(reply)
            output += received.standardOutput
            error += received.standardError
            if let exitCode = received.exitCode {
                // Frees the command's resources on the server; its outcome is already known.
                _ = try? request(.signal, shellID: shell, timeout: .seconds(30),
                                 body: WinRMMessages.signalBody(commandID: commandID), operation: "ending \(description)")
                return CommandResult(exitStatus: exitCode, standardOutput: output, standardError: error)
            }
        }
    }

    /// Deletes the shell on the server; best effort.
    func close() {
        guard let shellID else { return }
        self.shellID = nil
        _ = try? request(.delete, shellID: shellID, timeout: .seconds(10), body: "", operation: "closing the remote shell")
    }

    /// Creates the remote shell unless it exists; returns its ID.
    @discardableResult
    func open(timeout: Duration) throws -> String {
        if let shellID { return shellID }
        let reply = try request(.create, shellID: nil, timeout: timeout, options: WinRMMessages.createShellOptions,
                                body: WinRMMessages.createShellBody, operation: "opening a remote shell")
        guard let id = WinRMMessages.elementText("ShellId", in: reply) ?? selectorShellID(reply) else {
            throw ConnectionError.couldNotConnect(host: host, port: port, reason: "the WinRM reply to Create has no ShellId")
        }
        shellID = id
        return id
    }

    private func selectorShellID(_ xml: String) -> String? {
        guard let match = xml.range(of: "Name=\"ShellId\">[^<]+<", options: .regularExpression) else { return nil }
        return String(xml[match].dropFirst("Name=\"ShellId\">".count).dropLast())
    }

    private func remaining(_ deadline: ContinuousClock.Instant, _ timeout: Duration, _ description: String) throws -> Duration {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { throw ConnectionError.timedOut(operation: description, after: timeout) }
        return left
    }

    private func remainingOrStop(_ deadline: ContinuousClock.Instant, _ timeout: Duration, _ description: String,
                                 shell: String, commandID: String) throws -> Duration {
        do {
            return try remaining(deadline, timeout, description)
        } catch {
            // Windows ends the process when its command is terminated, unlike an SSH channel.
            _ = try? request(.signal, shellID: shell, timeout: .seconds(10),
                             body: WinRMMessages.signalBody(commandID: commandID), operation: "stopping \(description)")
            throw error
        }
    }

    private func request(_ action: WinRMMessages.Action, shellID: String?, timeout: Duration,
                         operationTimeout: Duration? = nil, options: [(String, String)] = [],
                         body: String, operation: String) throws -> String {
        let envelope = WinRMMessages.envelope(to: url, action: action, shellID: shellID,
                                              operationTimeout: operationTimeout ?? min(timeout, .seconds(60)),
                                              options: options, body: body)
        let reply = try transport.send(envelope, timeout: timeout)
        if let fault = WinRMMessages.fault(in: reply) {
            if fault.code == WinRMMessages.operationTimedOutCode { throw WinRMFault.operationTimedOut }
            if action != .create && reply.contains("2150858843") {
                // The shell is gone (server restart, idle timeout): the next command opens a new one.
                self.shellID = nil
            }
            throw ConnectionError.couldNotConnect(host: host, port: port,
                                                  reason: "WinRM refused \(operation): \(fault.reason)"
                                                    + (fault.code.map { " (fault \($0))" } ?? ""))
        }
        return reply
    }
}

enum WinRMFault: Error {
    case operationTimedOut
}
