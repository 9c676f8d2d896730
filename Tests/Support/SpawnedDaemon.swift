import Foundation

/// A server started with posix_spawn and stopped by PID, for daemons that
/// close every descriptor they inherit (sshd does). Foundation's `Process`
/// watches its children through an inherited socket and, once such a daemon
/// closes it, blocks its monitoring thread in waitpid until the daemon exits,
/// which stalls every other `Process` in the test run; so `ChildServer`
/// cannot host them.
public final class SpawnedDaemon: @unchecked Sendable {
    // `processID` is written in init and in `stop`, which tests call from the thread that owns the daemon.
    public private(set) var processID: pid_t
    public let logPath: String

    /// Starts `executable` with its output appended to `logPath`, and waits until it listens on `port`.
    public init(_ executable: String, _ arguments: [String], port: UInt16, logPath: String, timeout: TimeInterval = 60) throws {
        self.logPath = logPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Other tests' pipes must not leak into a long-lived daemon, or their readers never see EOF.
        // glibc declares this only for _GNU_SOURCE, which Swift's Glibc module does not see.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        // The test process blocks signals on its worker threads; a daemon would
        // inherit that mask and ignore SIGTERM, SIGHUP or SIGUSR1 (graceful
        // reloads, clean stops). Start it with an empty mask and default handlers.
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
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            throw SSHFixtureError.setup("\(executable) could not be started: \(String(cString: strerror(spawned)))")
        }
        processID = pid
        guard Loopback.waitForListener(port: port, timeout: timeout) else {
            stop()
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw ChildServerError.didNotListen(executable: executable, port: port, log: log)
        }
    }

    /// For a caller that reaped the process itself (waitpid): `stop` then signals nothing,
    /// so a recycled PID is never hit.
    public func forgetReaped() {
        processID = 0
    }

    /// SIGTERM, then SIGKILL after 10 s; reaps the process. Idempotent.
    public func stop() {
        guard processID > 0 else { return }
        let pid = processID
        processID = 0
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<500 {
            if waitpid(pid, &status, WNOHANG) != 0 { return }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    deinit { stop() }
}
