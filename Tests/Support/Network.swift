import Foundation
import OGBasics

/// Loopback helpers for tests that start real servers.
public enum Loopback {
    /// A port on 127.0.0.1, free for TCP and UDP, that no other caller in this process has been given.
    ///
    /// Ports come from just below the kernel's ephemeral range (`ip_local_port_range`), never from it:
    /// a port the kernel picked for `bind(0)` is one it also hands to outgoing connections (ssh, curl,
    /// `s_client`, the tests' own clients), so a server started on it a moment later could find it taken
    /// (CI once failed that way: the F5 simulator's virtual server got EADDRINUSE). Each port is handed out
    /// once per process, and only after a bind without SO_REUSEADDR succeeded for both protocols, so
    /// lingering TIME_WAIT sockets and DNS servers (TCP and UDP) are covered.
    public static func freePort() -> UInt16 {
        allocator.withLock { $0.next() }
    }

    private static let allocator = Locked(PortAllocator())

    private struct PortAllocator {
        let range: ClosedRange<Int>
        var cursor: Int

        init() {
            let ephemeralLow = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
                .flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first }
                .flatMap { Int($0) } ?? 32768
            let upper = max(ephemeralLow - 1, 11_024)
            range = max(1024, upper - 10_000)...upper
            // Start at a point that depends on the process, so two test processes rarely walk the same ports.
            cursor = range.lowerBound + Int(getpid()) % range.count
        }

        mutating func next() -> UInt16 {
            for _ in 0..<range.count {
                let port = cursor
                cursor = cursor == range.upperBound ? range.lowerBound : cursor + 1
                if Loopback.bindable(UInt16(port), type: SOCK_STREAM) && Loopback.bindable(UInt16(port), type: SOCK_DGRAM) {
                    return UInt16(port)
                }
            }
            fatalError("no free loopback port in \(range)")
        }
    }

    /// Whether a socket of `type` can bind 127.0.0.1:`port` right now (no SO_REUSEADDR, closed at once).
    private static func bindable(_ port: UInt16, type: __socket_type) -> Bool {
        let fd = socket(AF_INET, Int32(type.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Waits until something accepts TCP connections on 127.0.0.1:`port`.
    public static func waitForListener(port: UInt16, timeout: TimeInterval = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = port.bigEndian
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if result == 0 { return true }
            usleep(50_000)
        }
        return false
    }
}
