import Foundation

/// Makes a child that dies of a signal say which one, on stderr, in a line the
/// parent looks for: `og-conformance: fatal signal 11`. The parent's process
/// runner reports only that a signal ended the child, not which.
enum CrashReporter {
    static let marker = "og-conformance: fatal signal "
    static let fatalSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS]

    /// Installs the handler for every fatal signal, on an alternate stack so a
    /// stack overflow on this thread is reported too; also turns off core dumps,
    /// which a deliberately crashing plugin would otherwise leave behind.
    static func install() {
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(Int32(RLIMIT_CORE.rawValue), &noCore)
        let stackSize = 1 << 16
        // Intentionally never freed: the handler may run until the process ends.
        var stack = stack_t(ss_sp: UnsafeMutableRawPointer.allocate(byteCount: stackSize, alignment: 16), ss_flags: 0, ss_size: stackSize)
        sigaltstack(&stack, nil)
        for signal in fatalSignals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = reportFatalSignal
            action.sa_flags = Int32(bitPattern: UInt32(SA_RESETHAND) | UInt32(SA_ONSTACK))
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }

    /// The signal number a child reported on stderr, if it did.
    static func reportedSignal(in standardError: [UInt8]) -> Int32? {
        let text = String(decoding: standardError, as: UTF8.self)
        guard let range = text.range(of: marker, options: .backwards) else { return nil }
        return Int32(text[range.upperBound...].prefix { $0.isNumber })
    }

    /// "SIGSEGV" for 11; the number when the name is not one the kit expects.
    static func name(of signal: Int32) -> String {
        switch signal {
        case SIGSEGV: return "SIGSEGV"
        case SIGBUS: return "SIGBUS"
        case SIGILL: return "SIGILL"
        case SIGFPE: return "SIGFPE"
        case SIGABRT: return "SIGABRT"
        case SIGTRAP: return "SIGTRAP"
        case SIGSYS: return "SIGSYS"
        case SIGKILL: return "SIGKILL"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(signal)"
        }
    }
}

/// Async-signal-safe: no allocation, no locks, only write(2) from static and stack memory.
/// SA_RESETHAND has restored the default action, so re-raising ends the process
/// with the original signal for the parent to see.
private func reportFatalSignal(_ signal: Int32) {
    let prefix: StaticString = "\nog-conformance: fatal signal "
    prefix.withUTF8Buffer { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    var digits: (UInt8, UInt8, UInt8) = (0x30 + UInt8(truncatingIfNeeded: (signal / 10) % 10), 0x30 + UInt8(truncatingIfNeeded: signal % 10), 0x0a)
    withUnsafeBytes(of: &digits) { _ = write(STDERR_FILENO, $0.baseAddress, 3) }
    raise(signal)
}
