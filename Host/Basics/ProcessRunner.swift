import Glibc

/// The outcome of a finished child process.
public struct ProcessOutput: Sendable {
    public var exitStatus: Int32
    public var standardOutput: [UInt8]
    public var standardError: [UInt8]
    /// True when the runner killed the process because its timeout passed.
    public var timedOut: Bool
    /// The signal that ended the process (`exitStatus` is then -1); nil when it exited.
    public var terminationSignal: Int32?
    /// The child's process ID (it has been reaped): what it wrote into shared state as its owner.
    public var processID: Int32
    /// True when the runner killed the process for writing more than its output limit (only returned
    /// to a caller that asked with `returningOnOverflow`; others get `BasicsError.outputTooLarge`).
    public var outputLimitExceeded = false

    public init(exitStatus: Int32, standardOutput: [UInt8], standardError: [UInt8], timedOut: Bool,
                terminationSignal: Int32? = nil, processID: Int32 = 0) {
        self.exitStatus = exitStatus
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.timedOut = timedOut
        self.terminationSignal = terminationSignal
        self.processID = processID
    }

    public var standardOutputText: String { String(decoding: standardOutput, as: UTF8.self) }
    public var standardErrorText: String { String(decoding: standardError, as: UTF8.self) }
}

/// The one way og-host starts local child processes.
///
/// Arguments go to the child as an argv vector, never through a shell, so no
/// value can be interpreted as shell syntax. Secrets belong on `standardInput`
/// (or in `environment`), never in `arguments`: argv is visible in `ps`.
///
/// The rules a caller can rely on (the plugin contract repeats them for
/// `run_command`):
/// - The child inherits exactly three descriptors: 0, 1 and 2. Everything
///   else the host holds (sockets, the database, other children's pipes) is
///   closed in the child by posix_spawn, whatever its close-on-exec flag.
/// - The run ends when the direct child exits. Output is what the child wrote
///   until then; a process it left behind (a daemon, `sleep 120 &`) may keep
///   the pipes open, but nobody waits for it to close them.
/// - Waiting blocks (poll and waitpid); nothing spins.
/// - `timeout` is always enforced: when it passes, the child's whole process
///   group is killed with SIGKILL and `timedOut` is set.
/// - Output beyond `outputLimit` bytes per stream kills the child and throws
///   `BasicsError.outputTooLarge`, so a runaway command cannot exhaust memory.
///   With `returningOnOverflow` the run returns instead, `outputLimitExceeded`
///   set and the reaped child's `processID` given, for a caller that must
///   hand back what that process held (an endpoint job's lease).
/// - `standardErrorHandler`, when given, sees standard error as it arrives
///   (in the calling thread, in pieces of any size), for callers that show a
///   child's progress live; the whole stream is still returned.
public enum ProcessRunner {
    /// The timeout of a command whose caller gave none (`run_command` with
    /// `timeout_ms = 0`).
    public static let defaultTimeout: Duration = .seconds(120)
    /// Bytes kept of each of standard output and standard error.
    public static let defaultOutputLimit = 64 << 20

    public static func run(
        _ executable: String,
        _ arguments: [String],
        standardInput: [UInt8] = [],
        environment: [String: String]? = nil,
        workingDirectory: String? = nil,
        timeout: Duration = defaultTimeout,
        outputLimit: Int = defaultOutputLimit,
        returningOnOverflow: Bool = false,
        standardErrorHandler: ((ArraySlice<UInt8>) -> Void)? = nil
    ) throws -> ProcessOutput {
        let path: String
        if executable.contains("/") {
            path = executable
        } else {
            guard let resolved = findExecutable(executable, environment: environment) else {
                throw BasicsError.executableNotFound(executable)
            }
            path = resolved
        }
        // A child that exits without reading its input must not kill us with SIGPIPE.
        // (Children get default dispositions back through POSIX_SPAWN_SETSIGDEF.)
        signal(SIGPIPE, SIG_IGN)

        let input = try Pipe2(name: executable)
        defer { input.closeBoth() }
        let output = try Pipe2(name: executable)
        defer { output.closeBoth() }
        let errors = try Pipe2(name: executable)
        defer { errors.closeBoth() }
        let exitNotice = try Pipe2(name: executable)
        defer { exitNotice.closeBoth() }

        let pid = try spawn(path, arguments, environment: environment, workingDirectory: workingDirectory,
                            stdin: input.readEnd, stdout: output.writeEnd, stderr: errors.writeEnd, name: executable)
        // The child holds its own copies now; ours would keep the pipes from ever reporting EOF.
        input.closeRead()
        output.closeWrite()
        errors.closeWrite()

        // The exit is observed by a thread blocked in waitpid, which hands the
        // raw wait status to the poll loop through a pipe; so both waits block.
        let noticeFD = exitNotice.writeEnd
        DetachedThread.start {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            withUnsafeBytes(of: &status) { _ = write(noticeFD, $0.baseAddress, 4) }
        }

        var exchange = Exchange(input: standardInput, stdinFD: input.writeEnd, stdoutFD: output.readEnd,
                                stderrFD: errors.readEnd, noticeFD: exitNotice.readEnd, limit: outputLimit,
                                errorHandler: standardErrorHandler)
        // From here the exchange owns (and closes) these three ends.
        input.forgetWrite()
        output.forgetRead()
        errors.forgetRead()
        defer { exchange.closeAll() }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var timedOut = false
        var waitStatus: Int32?
        while waitStatus == nil {
            let left = deadline - ContinuousClock.now
            if left <= .zero || exchange.overflowed {
                timedOut = !exchange.overflowed
                // The group too: a command killed for its time must not leave its helpers running.
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                waitStatus = exchange.awaitExit()
                break
            }
            waitStatus = exchange.step(timeoutMilliseconds: Int32(clamping: left.wholeMilliseconds + 1))
        }
        if !timedOut && !exchange.overflowed {
            // What the child wrote before it exited is in the pipes; take it, but
            // do not wait for whoever else may still hold their write ends.
            exchange.drainAvailable()
        }
        if exchange.overflowed && !returningOnOverflow {
            throw BasicsError.outputTooLarge(executable, limit: outputLimit)
        }
        let raw = waitStatus ?? 0
        // WIFEXITED / WEXITSTATUS, which Swift does not import (they are macros).
        let exited = raw & 0x7f == 0
        var result = ProcessOutput(exitStatus: exited ? (raw >> 8) & 0xff : -1, standardOutput: exchange.stdout,
                                   standardError: exchange.stderr, timedOut: timedOut,
                                   terminationSignal: exited ? nil : raw & 0x7f, processID: pid)
        result.outputLimitExceeded = exchange.overflowed
        return result
    }

    /// Resolves a bare command name against PATH the way execvp would.
    public static func findExecutable(_ name: String, environment: [String: String]? = nil) -> String? {
        let path = (environment.map { $0["PATH"] } ?? EnvironmentVariable.value("PATH"))
            ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    static func spawn(_ path: String, _ arguments: [String], environment: [String: String]?,
                              workingDirectory: String?, stdin: Int32, stdout: Int32, stderr: Int32,
                              name: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Close-on-exec covers what og-host opens itself; closefrom also covers
        // what a library opened without it, so a daemon the command leaves
        // behind can hold nothing of ours.
        guard let closeFrom = SpawnExtensions.closeFrom else {
            throw BasicsError.launchFailed(name, "this C library has no posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later is required)")
        }
        _ = closeFrom(&actions, 3)
        if let workingDirectory {
            guard let changeDirectory = SpawnExtensions.changeDirectory else {
                throw BasicsError.launchFailed(name, "this C library cannot set a working directory for posix_spawn")
            }
            _ = changeDirectory(&actions, workingDirectory)
        }

        // Threads of the host block signals; a child would inherit that mask
        // (and SIG_IGN for SIGPIPE) and ignore SIGTERM or SIGHUP. It gets an
        // empty mask, default handlers, and its own process group so a timeout
        // can kill everything it started.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let environmentEntries = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { environmentEntries?.forEach { free($0) } }
        var pid: pid_t = 0
        let result: Int32
        if let environmentEntries {
            result = posix_spawn(&pid, path, &actions, &attributes, argv, environmentEntries)
        } else {
            result = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        }
        guard result == 0 else {
            throw BasicsError.launchFailed(name, String(cString: strerror(result)))
        }
        return pid
    }
}

/// glibc functions Swift's Glibc module does not declare (they need
/// _GNU_SOURCE), looked up once.
private enum SpawnExtensions {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias MakePipe = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    static let closeFrom: CloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    static let changeDirectory: ChangeDirectory? = symbol("posix_spawn_file_actions_addchdir_np")
    static let makePipe: MakePipe? = symbol("pipe2")

    private static func symbol<T>(_ name: String) -> T? {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), name).map { unsafeBitCast($0, to: T.self) }
    }
}

/// A pipe created close-on-exec in one step, so no other thread's child can
/// inherit it between creation and flagging.
final class Pipe2 {
    private(set) var readEnd: Int32
    private(set) var writeEnd: Int32

    init(name: String) throws {
        var fds: [Int32] = [-1, -1]
        let made: Int32
        if let makePipe = SpawnExtensions.makePipe {
            made = makePipe(&fds, O_CLOEXEC)
        } else {
            made = pipe(&fds)
            if made == 0 { fds.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) } }
        }
        guard made == 0 else { throw BasicsError.launchFailed(name, "no pipe: \(String(cString: strerror(errno)))") }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    func closeRead() { if readEnd >= 0 { close(readEnd); readEnd = -1 } }
    func closeWrite() { if writeEnd >= 0 { close(writeEnd); writeEnd = -1 } }
    /// Hand an end to someone else, who closes it.
    func forgetWrite() { writeEnd = -1 }
    func forgetRead() { readEnd = -1 }
    func closeBoth() { closeRead(); closeWrite() }
}

/// The parent's side of one run: feeds standard input, collects both output
/// streams, and learns of the exit, all from one poll loop.
private struct Exchange {
    private let input: [UInt8]
    private var written = 0
    private var stdinFD: Int32
    private var stdoutFD: Int32
    private var stderrFD: Int32
    private let noticeFD: Int32
    private let limit: Int
    private let errorHandler: ((ArraySlice<UInt8>) -> Void)?
    private(set) var stdout: [UInt8] = []
    private(set) var stderr: [UInt8] = []
    private(set) var overflowed = false
    private var buffer = [UInt8](repeating: 0, count: 65536)

    init(input: [UInt8], stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32, noticeFD: Int32, limit: Int,
         errorHandler: ((ArraySlice<UInt8>) -> Void)?) {
        self.input = input
        self.errorHandler = errorHandler
        self.stdinFD = stdinFD
        self.stdoutFD = stdoutFD
        self.stderrFD = stderrFD
        self.noticeFD = noticeFD
        self.limit = limit
        for fd in [stdinFD, stdoutFD, stderrFD] where fd >= 0 { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        if input.isEmpty { closeStandardInput() }
    }

    /// Waits up to `timeoutMilliseconds` for anything to happen and handles it.
    /// Returns the wait status once the child has exited.
    mutating func step(timeoutMilliseconds: Int32) -> Int32? {
        var fds = [pollfd(fd: noticeFD, events: Int16(POLLIN), revents: 0)]
        if stdoutFD >= 0 { fds.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
        if stderrFD >= 0 { fds.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
        if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
        let ready = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
        guard ready > 0 else { return nil }
        for entry in fds.dropFirst() where entry.revents != 0 {
            if entry.fd == stdinFD { feed() } else { collect(from: entry.fd) }
        }
        return fds[0].revents != 0 ? readNotice() : nil
    }

    /// Blocks until the waiter thread reports the exit (after a kill).
    mutating func awaitExit() -> Int32 {
        while true {
            var fds = [pollfd(fd: noticeFD, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 1, -1) > 0, let status = readNotice() { return status }
        }
    }

    /// Reads what is in the output pipes now, without waiting for more.
    mutating func drainAvailable() {
        for fd in [stdoutFD, stderrFD] where fd >= 0 {
            while !overflowed, collect(from: fd) {}
        }
    }

    mutating func closeStandardInput() {
        if stdinFD >= 0 { close(stdinFD); stdinFD = -1 }
    }

    mutating func closeAll() {
        closeStandardInput()
        if stdoutFD >= 0 { close(stdoutFD); stdoutFD = -1 }
        if stderrFD >= 0 { close(stderrFD); stderrFD = -1 }
    }

    private func readNotice() -> Int32? {
        var status: Int32 = 0
        let count = withUnsafeMutableBytes(of: &status) { read(noticeFD, $0.baseAddress, 4) }
        return count == 4 ? status : nil
    }

    private mutating func feed() {
        let count = input.withUnsafeBytes { bytes in
            write(stdinFD, bytes.baseAddress! + written, min(input.count - written, 65536))
        }
        if count > 0 {
            written += count
            if written == input.count { closeStandardInput() }
        } else if count < 0 && errno != EAGAIN && errno != EINTR {
            // The child closed its input (or exited): the rest has nowhere to go.
            closeStandardInput()
        }
    }

    /// Reads once from `fd`; false when nothing more is there now (EOF, EAGAIN, error).
    @discardableResult
    private mutating func collect(from fd: Int32) -> Bool {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count > 0 {
            if fd == stdoutFD { stdout += buffer[0..<count] } else {
                stderr += buffer[0..<count]
                errorHandler?(buffer[0..<count])
            }
            if stdout.count > limit || stderr.count > limit { overflowed = true }
            return true
        }
        if count == 0 || (errno != EAGAIN && errno != EINTR) {
            // End of file: stop watching this stream.
            if fd == stdoutFD { close(fd); stdoutFD = -1 } else { close(fd); stderrFD = -1 }
            return false
        }
        return errno == EINTR
    }
}

private extension Duration {
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
