import Glibc

// OGBasics does not import Foundation: `og-host plugins list` runs on this module and
// OGPluginDiscovery alone, and a process that loads libFoundation (and ICU with it) cannot
// start in under 8 ms (issue 15). These are the few things it took from Foundation.

/// Path components the way `NSString` splits them: trailing slashes are ignored,
/// repeated slashes count as one, the parent of a top-level entry is "/" and the
/// parent of a bare name is "".
public enum PathComponents {
    /// `(path as NSString).deletingLastPathComponent`.
    public static func parent(of path: String) -> String {
        let trimmed = trimmingTrailingSlashes(path)
        if trimmed == "/" || trimmed.isEmpty { return trimmed }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        let parent = trimmingTrailingSlashes(String(trimmed[..<slash]))
        return parent.isEmpty ? "/" : parent
    }

    /// `(path as NSString).lastPathComponent`.
    public static func last(of path: String) -> String {
        let trimmed = trimmingTrailingSlashes(path)
        if trimmed == "/" || trimmed.isEmpty { return trimmed }
        guard let slash = trimmed.lastIndex(of: "/") else { return trimmed }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    /// The path without trailing slashes; "/" for a path of slashes only.
    static func trimmingTrailingSlashes(_ path: String) -> String {
        var end = path.endIndex
        while end > path.startIndex, path[path.index(before: end)] == "/" { end = path.index(before: end) }
        if end == path.startIndex { return path.isEmpty ? "" : "/" }
        return String(path[..<end])
    }
}

/// One environment variable, read when asked (`ProcessInfo.environment` builds a
/// dictionary of every variable on each call).
public enum EnvironmentVariable {
    public static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// A mutual-exclusion lock (pthread), for state shared between threads.
public final class ThreadLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    public func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// Runs `body` on a new detached thread (what `Thread.detachNewThread` did).
public enum DetachedThread {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    public static func start(_ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let status = pthread_create(&thread, &attributes, { context in
            let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
            body.run()
            return nil
        }, context)
        // Thread.detachNewThread traps too when no thread can be made.
        precondition(status == 0, "cannot start a thread: \(String(cString: strerror(status)))")
    }
}

/// Lowercase hexadecimal text without Foundation's `String(format:)`, whose first call in a
/// process costs ~2.5 M instructions of Swift runtime conformance look-ups (its `CVarArg`
/// arguments are cast at run time); a job worker paid that once per start for one file name.
public enum Hex {
    /// `value` in lowercase hexadecimal, zero-padded to at least `width` digits (`%0*lx`).
    public static func digits<Value: BinaryInteger>(_ value: Value, width: Int) -> String {
        let text = String(value, radix: 16)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// Two lowercase hexadecimal digits per byte (`%02x` each).
    public static func bytes<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
