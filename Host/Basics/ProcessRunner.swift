import Foundation

/// The outcome of a finished child process.
public struct ProcessOutput: Sendable {
    public var exitStatus: Int32
    public var standardOutput: [UInt8]
    public var standardError: [UInt8]
    /// True when the runner killed the process because its timeout passed.
    public var timedOut: Bool

    public init(exitStatus: Int32, standardOutput: [UInt8], standardError: [UInt8], timedOut: Bool) {
        self.exitStatus = exitStatus
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.timedOut = timedOut
    }

    public var standardOutputText: String { String(decoding: standardOutput, as: UTF8.self) }
    public var standardErrorText: String { String(decoding: standardError, as: UTF8.self) }
}

/// The one way og-host starts local child processes.
///
/// Arguments go to the child as an argv vector, never through a shell, so no
/// value can be interpreted as shell syntax. Secrets belong on `standardInput`
/// (or in `environment`), never in `arguments`: argv is visible in `ps`.
public enum ProcessRunner {
    public static func run(
        _ executable: String,
        _ arguments: [String],
        standardInput: [UInt8] = [],
        environment: [String: String]? = nil,
        workingDirectory: String? = nil,
        timeout: Duration = .seconds(120)
    ) throws -> ProcessOutput {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
        } else {
            guard let resolved = findExecutable(executable, environment: environment) else {
                throw BasicsError.executableNotFound(executable)
            }
            process.executableURL = URL(fileURLWithPath: resolved)
        }
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }

        let stdinPipe = Pipe(), stdoutPipe = Pipe(), stderrPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe

        // Drain both pipes on their own threads: a child that fills one pipe
        // while we wait on the other would otherwise deadlock.
        let collected = CollectedOutput()
        let group = DispatchGroup()
        for (index, pipe) in [stdoutPipe, stderrPipe].enumerated() {
            group.enter()
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread {
                let data = handle.readDataToEndOfFile()
                collected.store(Array(data), at: index)
                group.leave()
            }
        }

        do {
            try process.run()
        } catch {
            throw BasicsError.launchFailed(executable, String(describing: error))
        }
        let writer = stdinPipe.fileHandleForWriting
        if !standardInput.isEmpty {
            // A child that exits without reading its input must not kill us with SIGPIPE.
            signal(SIGPIPE, SIG_IGN)
            try? writer.write(contentsOf: Data(standardInput))
        }
        try? writer.close()

        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            process.waitUntilExit()
            finished.signal()
        }
        var timedOut = false
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds)) / 1_000_000_000
        if finished.wait(timeout: .now() + .nanoseconds(Int(min(nanoseconds, UInt64(Int.max))))) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
        }
        group.wait()
        let status: Int32 = process.terminationReason == .uncaughtSignal ? -1 : process.terminationStatus
        return ProcessOutput(exitStatus: status, standardOutput: collected.value(at: 0),
                             standardError: collected.value(at: 1), timedOut: timedOut)
    }

    /// Resolves a bare command name against PATH the way execvp would.
    public static func findExecutable(_ name: String, environment: [String: String]? = nil) -> String? {
        let path = (environment ?? ProcessInfo.processInfo.environment)["PATH"]
            ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

private final class CollectedOutput: @unchecked Sendable {
    // Guarded by `lock`; written once per index by the drain threads.
    private var buffers: [[UInt8]] = [[], []]
    private let lock = NSLock()
    func store(_ bytes: [UInt8], at index: Int) { lock.withLock { buffers[index] = bytes } }
    func value(at index: Int) -> [UInt8] { lock.withLock { buffers[index] } }
}
