import Glibc
import OGBasics

/// Keeps track of the plugin slot running in this process, so that a plugin
/// that crashes, calls `exit()` or never returns ends og-host with a message
/// naming the plugin, the slot and (for a crash) the signal, instead of
/// silently. Where a crash must cost only one job, the job runs in a child
/// og-host (`EndpointJobLauncher`); this is what that child, and an og-host
/// running a job itself, say when plugin code takes them down.
///
/// - Crash: `installCrashReporting()` (called once by og-host's main) puts a
///   handler on SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT and SIGTRAP that
///   writes the message prepared when the slot was entered (only `write(2)`:
///   a signal handler may not allocate or lock), then dies of the signal.
/// - `exit()` from plugin code: an `on_exit` handler says so, with the status.
/// - Hang: a watchdog thread ends the process with exit status 8 (transient)
///   when one slot call runs longer than `OG_PLUGIN_SLOT_TIMEOUT_SECONDS`
///   (default 600; commands a plugin runs have their own timeouts, so only a
///   plugin stuck in its own code gets here).
/// In every case the install journal is left as it was, and `tls recover` (or
/// the next job) restores the endpoint once the job's lease runs out.
public enum PluginSlotWatch {
    /// Exit status when a slot overruns its timeout (the transient category's).
    public static let timeoutExitStatus: Int32 = 8
    public static let defaultTimeout: Double = 600

    // Read by the signal and atexit handlers, which cannot take a lock; set
    // only under `lock`, and the buffers they point to are never freed while
    // published (a replaced one is kept until the next slot call ends).
    nonisolated(unsafe) private static var crashText: UnsafeMutableBufferPointer<UInt8>?
    nonisolated(unsafe) private static var exitText: UnsafeMutableBufferPointer<UInt8>?
    nonisolated(unsafe) private static var exitTail: UnsafeMutableBufferPointer<UInt8>?

    private static let lock = Locked()
    nonisolated(unsafe) private static var running: [(plugin: String, slot: String, deadline: Double)] = []
    nonisolated(unsafe) private static var watchdogStarted = false
    private static let timeout: Double = {
        guard let text = EnvironmentVariable.value("OG_PLUGIN_SLOT_TIMEOUT_SECONDS"),
              let seconds = Double(text), seconds >= 1 else { return defaultTimeout }
        return seconds
    }()

    /// Installs the crash and exit() reporting for this process; idempotent enough (call once, from main).
    public static func installCrashReporting() {
        for signal in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                if let text = PluginSlotWatch.crashText {
                    _ = write(2, text.baseAddress, text.count)
                    let name: StaticString
                    switch number {
                    case SIGSEGV: name = "11, SIGSEGV"
                    case SIGBUS: name = "7, SIGBUS"
                    case SIGILL: name = "4, SIGILL"
                    case SIGFPE: name = "8, SIGFPE"
                    case SIGABRT: name = "6, SIGABRT"
                    default: name = "5, SIGTRAP"
                    }
                    _ = write(2, name.utf8Start, name.utf8CodeUnitCount)
                    let tail: StaticString = "); the install journal is kept, and og-host tls recover (or the next job) restores the endpoint\n"
                    _ = write(2, tail.utf8Start, tail.utf8CodeUnitCount)
                }
                // SA_RESETHAND put the default action back: die of the signal, as without this handler.
                raise(number)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(bitPattern: UInt32(truncatingIfNeeded: SA_RESETHAND))
            sigaction(signal, &action, nil)
        }
        // on_exit (not atexit) to learn the status the plugin passed to exit().
        on_exit({ status, _ in
            guard let text = PluginSlotWatch.exitText else { return }
            _ = write(2, text.baseAddress, text.count)
            // "exit(N) ..." : the status as decimal digits, without allocating.
            var digits: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
            var value = UInt32(truncatingIfNeeded: status) & 0xff
            var count = 0
            withUnsafeMutableBytes(of: &digits) { buffer in
                repeat {
                    buffer[3 - count] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                    count += 1
                } while value > 0 && count < 4
                _ = write(2, buffer.baseAddress! + (4 - count), count)
            }
            let tail: StaticString = ") in its "
            _ = write(2, tail.utf8Start, tail.utf8CodeUnitCount)
            if let slot = PluginSlotWatch.exitTail { _ = write(2, slot.baseAddress, slot.count) }
        }, nil)
    }

    /// What an og-host that plugin code took down wrote about it on standard
    /// error, read back by the parent of a job's process (`EndpointJobLauncher`).
    public struct Report: Sendable, Equatable {
        public enum Event: Sendable { case crashed, exited, hung }
        public var plugin: String
        public var slot: String
        public var event: Event
        /// The status the plugin passed to exit().
        public var exitStatus: Int?

        /// The last such report in `text`, if any.
        public static func last(in text: String) -> Report? {
            for line in text.split(separator: "\n").reversed() where line.hasPrefix("og-host: the plugin '") {
                let rest = line.dropFirst("og-host: the plugin '".count)
                guard let quote = rest.firstIndex(of: "'") else { continue }
                let plugin = String(rest[..<quote])
                let after = rest[rest.index(after: quote)...]
                let events: [(String, Event)] = [(" crashed in its ", .crashed), (" called exit(", .exited),
                                                 (" did not return from its ", .hung)]
                for (marker, event) in events where after.hasPrefix(marker) {
                    var tail = after.dropFirst(marker.count)
                    var status: Int?
                    if event == .exited {
                        guard let close = tail.firstIndex(of: ")") else { continue }
                        status = Int(tail[..<close])
                        tail = tail[tail.index(after: close)...]
                        guard tail.hasPrefix(" in its ") else { continue }
                        tail = tail.dropFirst(" in its ".count)
                    }
                    guard let space = tail.firstIndex(of: " ") else { continue }
                    return Report(plugin: plugin, slot: String(tail[..<space]), event: event, exitStatus: status)
                }
            }
            return nil
        }
    }

    /// Runs `body`, one call of `slot` in `plugin`, under the watch.
    static func around<T>(plugin: String, slot: String, _ body: () throws -> T) rethrows -> T {
        enter(plugin: plugin, slot: slot)
        defer { leave() }
        return try body()
    }

    private static func enter(plugin: String, slot: String) {
        lock.withLock {
            running.append((plugin, slot, monotonicSeconds() + timeout))
            publish()
            if !watchdogStarted {
                watchdogStarted = true
                DetachedThread.start { watch() }
            }
        }
    }

    private static func leave() {
        lock.withLock {
            _ = running.popLast()
            publish()
        }
    }

    /// Prepares the handlers' messages for the innermost running slot (under `lock`).
    private static func publish() {
        let previous = (crashText, exitText, exitTail)
        if let current = running.last {
            crashText = buffer("og-host: the plugin '\(current.plugin)' crashed in its \(current.slot) slot (signal ")
            exitText = buffer("og-host: the plugin '\(current.plugin)' called exit(")
            exitTail = buffer("\(current.slot) slot, ending og-host; the install journal is kept, and og-host tls recover "
                              + "(or the next job) restores the endpoint\n")
        } else {
            crashText = nil
            exitText = nil
            exitTail = nil
        }
        // A handler running right now on another thread may still read the old
        // text; it is small, and freeing it is not worth that race.
        retired.append(contentsOf: [previous.0, previous.1, previous.2].compactMap { $0 })
        if retired.count > 64 {
            for text in retired.prefix(retired.count - 8) { text.deallocate() }
            retired.removeFirst(retired.count - 8)
        }
    }
    nonisolated(unsafe) private static var retired: [UnsafeMutableBufferPointer<UInt8>] = []

    private static func buffer(_ text: String) -> UnsafeMutableBufferPointer<UInt8> {
        let bytes = Array(text.utf8)
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
        _ = buffer.initialize(from: bytes)
        return buffer
    }

    /// Seconds on the monotonic clock: deadlines do not move when the wall clock is set.
    private static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    private static func watch() {
        while true {
            usleep(250_000)
            let overrun = lock.withLock { running.last.flatMap { $0.deadline < monotonicSeconds() ? $0 : nil } }
            guard let overrun else { continue }
            let message = "og-host: the plugin '\(overrun.plugin)' did not return from its \(overrun.slot) slot within "
                + "\(Int(timeout)) s (OG_PLUGIN_SLOT_TIMEOUT_SECONDS); og-host stops here. The install journal is kept, "
                + "and og-host tls recover (or the next job) restores the endpoint\n"
            StandardStreams.error(message)
            _exit(timeoutExitStatus)
        }
    }
}
