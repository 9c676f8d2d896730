import OGPluginABI

/// Text or bytes as they will cross the ABI: nil is a NULL pointer with length 0,
/// an empty array a valid pointer with length 0.
typealias RawText = [UInt8]?

/// Memory for the inputs of raw slot calls, all freed together after the call.
/// Unlike the host's own marshalling it can build what the host never sends:
/// NULL views, invalid UTF-8, structs with a larger struct_size.
final class CallMemory {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit {
        for block in blocks { block.deallocate() }
    }

    /// Zeroed memory, aligned for any ABI struct.
    func allocate(_ byteCount: Int) -> UnsafeMutableRawPointer {
        let count = max(byteCount, 1)
        let block = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 16)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: count)
        blocks.append(block)
        return block
    }

    /// Followed by a NUL the length does not count, as the host does: the contract
    /// does not promise one, but a plugin relying on it should fail elsewhere, not here.
    func str(_ text: RawText) -> og_str {
        guard let text else { return og_str(ptr: nil, len: 0) }
        let block = allocate(text.count + 1)
        text.withUnsafeBytes { block.copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(block), byteCount: text.count) }
        return og_str(ptr: block.assumingMemoryBound(to: CChar.self), len: text.count)
    }

    func str(_ text: String) -> og_str { str(Array(text.utf8)) }

    func bytes(_ data: RawText) -> og_bytes {
        let view = str(data)
        return og_bytes(ptr: view.ptr.map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) }, len: view.len)
    }

    func array<T>(_ values: [T]) -> UnsafePointer<T>? {
        guard !values.isEmpty else { return nil }
        let block = allocate(MemoryLayout<T>.stride * values.count).bindMemory(to: T.self, capacity: values.count)
        block.update(from: values, count: values.count)
        return UnsafePointer(block)
    }

    /// `value` at the start of a block `extraSize` bytes longer than T; the caller
    /// sets struct_size to cover the padding when it means to.
    func value<T>(_ value: T, extraSize: Int = 0) -> UnsafeMutablePointer<T> {
        let block = allocate(MemoryLayout<T>.size + extraSize).bindMemory(to: T.self, capacity: 1)
        block.initialize(to: value)
        return block
    }
}
