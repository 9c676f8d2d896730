import Foundation
import OGMaterial

/// Bytes that must not leak: a password, a passphrase, a key.
///
/// Printing, interpolating, `debugPrint` and `dump` all show `••••••`; the
/// bytes are reachable only through `withUnsafeBytes` or the explicitly named
/// `exposedString()`. The storage is a private allocation that is wiped when
/// the last reference goes. Copies a caller makes (a `String` from
/// `exposedString()`, a buffer handed to a C library) are the caller's to keep short-lived.
public final class Secret: @unchecked Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
                           CustomReflectable {
    // @unchecked Sendable: the buffer is written once in init and only read
    // afterwards; deinit runs when no other reference can exist.
    private let storage: UnsafeMutableRawBufferPointer

    /// What every textual representation shows instead of the value.
    public static let mask = "••••••"

    public init<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        storage = .allocate(byteCount: Swift.max(bytes.count, 1), alignment: 1)
        _ = storage.initializeMemory(as: UInt8.self, from: bytes)
        count = bytes.count
    }

    /// The UTF-8 bytes of `string`.
    public convenience init(_ string: String) {
        self.init(bytes: Array(string.utf8))
    }

    /// Number of bytes.
    public let count: Int

    public var isEmpty: Bool { count == 0 }

    /// Lends the bytes to `body`; do not let the pointer escape.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }

    /// The value as a String, for APIs that accept nothing else. The copy cannot
    /// be wiped, so prefer `withUnsafeBytes` where the consumer takes bytes.
    public func exposedString() -> String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Compares in time that depends only on the lengths.
    public static func == (lhs: Secret, rhs: Secret) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.withUnsafeBytes { left in rhs.withUnsafeBytes { right in SecureMemory.constantTimeEqual(left, right) } }
    }

    public var description: String { Self.mask }
    public var debugDescription: String { Self.mask }
    public var customMirror: Mirror { Mirror(reflecting: Self.mask) }

    deinit {
        SecureMemory.wipe(storage)
        storage.deallocate()
    }
}
