import OGPluginABI

/// Owns every C allocation behind one result (or behind one host-service
/// call's arguments) and frees them together when it goes away.
///
/// Results handed to the host live exactly as long as their arena is held by
/// `ResultRegistry`; descriptors and tables are held for ever.
final class Arena: @unchecked Sendable {
    // @unchecked is sound: an arena is filled on the thread that builds a
    // result, then only read by C code and finally freed in deinit, which runs
    // once on whichever thread drops the last reference.
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit {
        for block in blocks { block.deallocate() }
    }

    /// `count` zero-filled values, the way C code expects a fresh struct.
    func zeroed<Value>(_ type: Value.Type, count: Int = 1) -> UnsafeMutablePointer<Value> {
        let byteCount = max(1, MemoryLayout<Value>.stride * count)
        let block = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: MemoryLayout<Value>.alignment)
        blocks.append(block)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        return block.bindMemory(to: Value.self, capacity: count)
    }

    /// A copy of `elements`, or nil when there are none.
    func array<Value>(_ elements: [Value]) -> UnsafePointer<Value>? {
        guard !elements.isEmpty else { return nil }
        let storage = zeroed(Value.self, count: elements.count)
        _ = UnsafeMutableBufferPointer(start: storage, count: elements.count).update(fromContentsOf: elements)
        return UnsafePointer(storage)
    }

    func text(_ value: String) -> og_str {
        let utf8 = Array(value.utf8)
        guard !utf8.isEmpty else { return og_str(ptr: nil, len: 0) }
        let storage = zeroed(UInt8.self, count: utf8.count)
        storage.update(from: utf8, count: utf8.count)
        return og_str(ptr: UnsafeRawPointer(storage).assumingMemoryBound(to: CChar.self), len: utf8.count)
    }

    /// A NUL-terminated copy, for the descriptor's C strings.
    func cString(_ value: String) -> UnsafePointer<CChar> {
        let utf8 = Array(value.utf8) + [0]
        let storage = zeroed(UInt8.self, count: utf8.count)
        storage.update(from: utf8, count: utf8.count)
        return UnsafeRawPointer(storage).assumingMemoryBound(to: CChar.self)
    }

    func bytes(_ value: [UInt8]) -> og_bytes {
        og_bytes(ptr: array(value), len: value.count)
    }
}

/// Lends `value` to C as an og_str for the duration of `body`, without copying.
func withBorrowedText<Result>(_ value: String, _ body: (og_str) throws -> Result) rethrows -> Result {
    var value = value
    return try value.withUTF8 { utf8 in
        try body(og_str(ptr: utf8.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                        len: utf8.count))
    }
}
