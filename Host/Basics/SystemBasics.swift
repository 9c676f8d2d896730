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

/// This process's environment: the one way og-host reads it (`ProcessInfo.environment`
/// builds a dictionary of every variable on each call, ~0.4 M instructions).
public enum EnvironmentVariable {
    /// One variable, read when asked.
    public static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Every variable, for a child process's environment (read single variables with
    /// `value`). A name set twice keeps its first value, the one `value` (getenv) reads;
    /// entries that are not UTF-8 are left out, as `ProcessInfo.environment` leaves them.
    public static func all() -> [String: String] {
        variables(in: environ)
    }

    /// The variables of `entries`, an array of "NAME=value" strings ending with NULL, as `environ` is.
    static func variables(in entries: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> [String: String] {
        var variables: [String: String] = [:]
        var entry = entries
        while let pointer = entry.pointee {
            if let text = String(validatingCString: pointer), let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                if variables[name] == nil { variables[name] = String(text[text.index(after: equals)...]) }
            }
            entry += 1
        }
        return variables
    }
}

/// The environment variables a function reads by name: this process's own (`.process`,
/// each read with `EnvironmentVariable.value` when asked) or a fixed set a test gives
/// (`["HOME": "/root"]`), so tests need not change the process's environment.
public struct Environment: Sendable, ExpressibleByDictionaryLiteral {
    private let fixed: [String: String]?

    /// This process's environment, read one variable at a time.
    public static let process = Environment(fixed: nil)

    public init(_ variables: [String: String]) {
        fixed = variables
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        fixed = Dictionary(elements) { _, last in last }
    }

    private init(fixed: [String: String]?) {
        self.fixed = fixed
    }

    public subscript(name: String) -> String? {
        if let fixed { return fixed[name] }
        return EnvironmentVariable.value(name)
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
