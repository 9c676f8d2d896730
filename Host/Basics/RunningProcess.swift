import Glibc
#if canImport(Glibc)
import Glibc
#endif

/// A child process that lives across several exchanges with its parent (an
/// endpoint job worker, `og-host job worker`), started by the one process
/// runner with the same rules as `ProcessRunner.run`: argv without a shell,
/// only descriptors 0-2 inherited, default signal dispositions and an empty
/// mask, its own process group (so `kill()` ends whatever it started), and a
/// thread blocked in waitpid that reaps it whenever it exits — an idle child
/// that ends by itself never stays a zombie.
///
/// One caller at a time drives it (`send`, then `exchange` until the answer
/// is complete); the owner hands it between threads under its own lock.
public final class RunningProcess: @unchecked Sendable {
    public let processID: Int32
    private var stdinFD: Int32
    private var stdoutFD: Int32
    private var stderrFD: Int32
    private var noticeFD: Int32
    private var pending: [UInt8] = []
    private var written = 0
    private var buffer = [UInt8](repeating: 0, count: 65536)
    /// The raw wait status once the exit has been seen.
    public private(set) var waitStatus: Int32?

    /// How an `exchange` ended.
    public enum Ending: Equatable, Sendable {
        /// A handler said so (the answer is complete, or enough was read).
        case stopped
        /// The process exited (what it wrote before is delivered first).
        case exited
        /// The deadline passed; the process is still running.
        case timedOut
    }

    /// Starts `executable` with `arguments`; standard input stays open for `send`.
    public static func start(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws
        -> RunningProcess {
        // A child that exits before reading what we send must not kill us with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let input = try Pipe2(name: executable)
        let output = try Pipe2(name: executable)
        let errors = try Pipe2(name: executable)
        let exitNotice = try Pipe2(name: executable)
        let pid: pid_t
        do {
            pid = try ProcessRunner.spawn(executable, arguments, environment: environment, workingDirectory: nil,
                                          stdin: input.readEnd, stdout: output.writeEnd, stderr: errors.writeEnd,
                                          name: executable)
        } catch {
            [input, output, errors, exitNotice].forEach { $0.closeBoth() }
            throw error
        }
        input.closeRead()
        output.closeWrite()
        errors.closeWrite()
        // The waiter thread owns the notice pipe's write end and closes it after reporting, so the
        // descriptor can never be reused under it however long the process lives.
        let noticeWrite = exitNotice.writeEnd
        exitNotice.forgetWrite()
        DetachedThread.start {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            withUnsafeBytes(of: &status) { _ = write(noticeWrite, $0.baseAddress, 4) }
            close(noticeWrite)
        }
        let process = RunningProcess(pid: pid, stdin: input.writeEnd, stdout: output.readEnd, stderr: errors.readEnd,
                                     notice: exitNotice.readEnd)
        input.forgetWrite()
        output.forgetRead()
        errors.forgetRead()
        exitNotice.forgetRead()
        return process
    }

    private init(pid: Int32, stdin: Int32, stdout: Int32, stderr: Int32, notice: Int32) {
        processID = pid
        stdinFD = stdin
        stdoutFD = stdout
        stderrFD = stderr
        noticeFD = notice
        for fd in [stdin, stdout, stderr] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    deinit {
        Self.wipe(&pending)
        for fd in [stdinFD, stdoutFD, stderrFD, noticeFD] where fd >= 0 { close(fd) }
    }

    /// Queues `bytes` for the process's standard input; they are written
    /// during the next `exchange` (and wiped here once written).
    public func send(_ bytes: [UInt8]) {
        pending += bytes
    }

    /// Closes standard input: the process reads end of file.
    public func closeInput() {
        if stdinFD >= 0 { close(stdinFD); stdinFD = -1 }
        Self.wipe(&pending)
        pending = []
        written = 0
    }

    /// Whether the exit has been seen (or is waiting to be read) without blocking.
    public var hasExited: Bool {
        if waitStatus != nil { return true }
        var fds = [pollfd(fd: noticeFD, events: Int16(POLLIN), revents: 0)]
        if poll(&fds, 1, 0) > 0, let status = readNotice() { waitStatus = status }
        return waitStatus != nil
    }

    /// Writes what was sent and hands output to the handlers as it arrives,
    /// until a handler returns true (the answer is complete, or too much came),
    /// the process exits, or `deadline` passes. On exit, whatever the process
    /// wrote before is delivered first (standard error first), and a stop asked
    /// for by it wins.
    public func exchange(until deadline: ContinuousClock.Instant, standardOutput: (ArraySlice<UInt8>) -> Bool,
                         standardError: (ArraySlice<UInt8>) -> Bool) -> Ending {
        while true {
            if waitStatus != nil || hasExited {
                var stopped = false
                while let piece = readAvailable(stderrFD, isOutput: false) { if standardError(piece) { stopped = true } }
                while !stopped, let piece = readAvailable(stdoutFD, isOutput: true) { if standardOutput(piece) { stopped = true } }
                return stopped ? .stopped : .exited
            }
            let left = deadline - ContinuousClock.now
            if left <= .zero { return .timedOut }
            var fds = [pollfd(fd: noticeFD, events: Int16(POLLIN), revents: 0)]
            if stdoutFD >= 0 { fds.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
            if stderrFD >= 0 { fds.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
            if stdinFD >= 0 && written < pending.count { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            let milliseconds = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            guard poll(&fds, nfds_t(fds.count), milliseconds) > 0 else { continue }
            for entry in fds.dropFirst() where entry.revents != 0 {
                if entry.fd == stdinFD {
                    feed()
                } else if entry.fd == stdoutFD {
                    if let piece = readOnce(stdoutFD, isOutput: true), standardOutput(piece) {
                        // Take what standard error holds now, so a line written before the answer is not left behind.
                        while let piece = readAvailable(stderrFD, isOutput: false) { _ = standardError(piece) }
                        return .stopped
                    }
                } else if entry.fd == stderrFD, let piece = readOnce(stderrFD, isOutput: false), standardError(piece) {
                    return .stopped
                }
            }
            if fds[0].revents != 0, let status = readNotice() { waitStatus = status }
        }
    }

    /// Kills the process's whole group with SIGKILL and waits for the exit.
    public func kill() {
        if waitStatus == nil {
            Glibc.kill(-processID, SIGKILL)
            Glibc.kill(processID, SIGKILL)
        }
        awaitExit()
    }

    /// Blocks until the process has exited.
    public func awaitExit() {
        while waitStatus == nil {
            var fds = [pollfd(fd: noticeFD, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 1, -1) > 0, let status = readNotice() { waitStatus = status }
        }
    }

    /// The exit status (WEXITSTATUS), or -1 when a signal ended it or it has not exited.
    public var exitStatus: Int32 {
        guard let raw = waitStatus, raw & 0x7f == 0 else { return -1 }
        return (raw >> 8) & 0xff
    }

    /// The signal that ended the process, if one did.
    public var terminationSignal: Int32? {
        guard let raw = waitStatus, raw & 0x7f != 0 else { return nil }
        return raw & 0x7f
    }

    /// Zeroes bytes that may hold key material before they are released.
    private static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { if let base = $0.baseAddress { explicit_bzero(base, $0.count) } }
    }

    private func readNotice() -> Int32? {
        var status: Int32 = 0
        let count = withUnsafeMutableBytes(of: &status) { read(noticeFD, $0.baseAddress, 4) }
        return count == 4 ? status : nil
    }

    private func feed() {
        let count = pending.withUnsafeBytes { bytes in
            write(stdinFD, bytes.baseAddress! + written, min(pending.count - written, 65536))
        }
        if count > 0 {
            written += count
            if written == pending.count {
                Self.wipe(&pending)
                pending = []
                written = 0
            }
        } else if count < 0 && errno != EAGAIN && errno != EINTR {
            // The process closed its input (or exited): the rest has nowhere to go.
            closeInput()
        }
    }

    /// One read; nil on EOF (the stream is then closed), EAGAIN or an error.
    private func readOnce(_ fd: Int32, isOutput: Bool) -> ArraySlice<UInt8>? {
        guard fd >= 0 else { return nil }
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count > 0 { return buffer[0..<count] }
        if count == 0 || (errno != EAGAIN && errno != EINTR) {
            close(fd)
            if isOutput { stdoutFD = -1 } else { stderrFD = -1 }
        }
        return nil
    }

    /// What is in the pipe now, piece by piece, without waiting for more.
    private func readAvailable(_ fd: Int32, isOutput: Bool) -> ArraySlice<UInt8>? {
        readOnce(fd, isOutput: isOutput)
    }
}
