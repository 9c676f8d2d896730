import Foundation
import OGBasics

/// systemd's readiness protocol (sd_notify(3)) without libsystemd: datagrams
/// such as `READY=1`, `WATCHDOG=1`, `STOPPING=1`, `STATUS=…` sent to the unix
/// socket named by `$NOTIFY_SOCKET` (a path, or `@name` for the abstract
/// namespace). Outside systemd the variable is unset and every call does nothing.
public final class SystemdNotifier: @unchecked Sendable {
    private let address: [UInt8]?
    private let lock = Locked()
    /// How often `WATCHDOG=1` must be sent: half of `$WATCHDOG_USEC` (as
    /// sd_watchdog_enabled(3) advises), nil when the watchdog is off or meant for another process.
    public let watchdogInterval: Duration?

    public init(environment: Environment = .process, pid: pid_t = getpid()) {
        if let socket = environment["NOTIFY_SOCKET"], socket.hasPrefix("/") || socket.hasPrefix("@"), socket.utf8.count < 108 {
            var bytes = Array(socket.utf8)
            if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
            address = bytes
        } else {
            address = nil
        }
        if let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0,
           environment["WATCHDOG_PID"].map({ pid_t($0) == pid }) ?? true {
            watchdogInterval = .microseconds(Int64(microseconds / 2))
        } else {
            watchdogInterval = nil
        }
    }

    public var isEnabled: Bool { address != nil }

    /// Sends `state` (newline-separated assignments). Returns false when it could not be sent.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let address else { return false }
        return lock.withLock {
            let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            var socketAddress = sockaddr_un()
            socketAddress.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &socketAddress.sun_path) { path in
                for (index, byte) in address.enumerated() { path[index] = byte }
            }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + address.count)
            let bytes = Array(state.utf8)
            let sent = withUnsafePointer(to: &socketAddress) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), address, length) }
                }
            }
            return sent == bytes.count
        }
    }

    /// `STATUS=…`: one line shown by `systemctl status`.
    public func status(_ text: String) {
        notify("STATUS=" + text.replacingOccurrences(of: "\n", with: " "))
    }
}
