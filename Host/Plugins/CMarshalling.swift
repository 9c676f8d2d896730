import OGPluginABI
import Glibc
import OGBasics

/// Reading borrowed C views defensively: a plugin is foreign code, so a NULL
/// pointer with a length, or bytes that are not UTF-8, are reported, not trusted.
enum CText {
    /// The text of an og_str, or nil when it is malformed (NULL with a length, invalid UTF-8).
    static func string(_ value: og_str) -> String? {
        if value.len == 0 { return "" }
        guard let pointer = value.ptr, value.len <= 16 * 1024 * 1024 else { return nil }
        let buffer = UnsafeRawBufferPointer(start: pointer, count: value.len)
        return String(validating: buffer, as: UTF8.self)
    }

    static func bytes(_ value: og_bytes) -> [UInt8]? {
        if value.len == 0 { return [] }
        guard let pointer = value.ptr, value.len <= 1 << 30 else { return nil }
        return Array(UnsafeBufferPointer(start: pointer, count: value.len))
    }

    /// A NUL-terminated descriptor string, bounded so a missing terminator cannot run away.
    static func cString(_ pointer: UnsafePointer<CChar>?, limit: Int = 4096) -> String? {
        guard let pointer else { return nil }
        let length = strnlen(pointer, limit + 1)
        guard length <= limit else { return nil }
        return String(validating: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}

/// Memory the host hands to a plugin or to itself for the duration of a C call:
/// every allocation is owned by the arena and freed together when it goes away.
final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit {
        for allocation in allocations { allocation.deallocate() }
    }

    func bytes(_ value: [UInt8]) -> og_bytes {
        guard !value.isEmpty else { return og_bytes(ptr: nil, len: 0) }
        let memory = UnsafeMutableRawPointer.allocate(byteCount: value.count, alignment: 1)
        allocations.append(memory)
        value.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: value.count) }
        return og_bytes(ptr: memory.assumingMemoryBound(to: UInt8.self), len: value.count)
    }

    func str(_ value: String) -> og_str {
        let utf8 = Array(value.utf8)
        guard !utf8.isEmpty else { return og_str(ptr: nil, len: 0) }
        let memory = UnsafeMutableRawPointer.allocate(byteCount: utf8.count + 1, alignment: 1)
        allocations.append(memory)
        utf8.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: utf8.count) }
        memory.storeBytes(of: 0, toByteOffset: utf8.count, as: UInt8.self)
        return og_str(ptr: memory.assumingMemoryBound(to: CChar.self), len: utf8.count)
    }

    func array<T>(_ values: [T]) -> UnsafeMutablePointer<T>? {
        guard !values.isEmpty else { return nil }
        let memory = UnsafeMutablePointer<T>.allocate(capacity: values.count)
        memory.initialize(from: values, count: values.count)
        allocations.append(UnsafeMutableRawPointer(memory))
        return memory
    }

    func value<T>(_ value: T) -> UnsafeMutablePointer<T> {
        let memory = UnsafeMutablePointer<T>.allocate(capacity: 1)
        memory.initialize(to: value)
        allocations.append(UnsafeMutableRawPointer(memory))
        return memory
    }
}

/// Keeps host-allocated results alive until the plugin releases them through
/// host->release. Keyed by the address handed out, so release needs nothing else.
final class ResultRegistry: @unchecked Sendable {
    // Guarded by `lock`: plugins may release from any thread.
    private var live: [UnsafeMutableRawPointer: CArena] = [:]
    private let lock = Locked()

    func retain(_ arena: CArena, for pointer: UnsafeMutableRawPointer) {
        lock.withLock { live[pointer] = arena }
    }

    /// Returns false when the pointer was not handed out (or was released twice).
    @discardableResult
    func release(_ pointer: UnsafeMutableRawPointer) -> Bool {
        lock.withLock { live.removeValue(forKey: pointer) != nil }
    }

    var liveCount: Int { lock.withLock { live.count } }
}

/// Arrays of size-prefixed structs written by the other side: the stride is the
/// elements' own struct_size (the header's array rule), so a plugin built
/// against a later minor, with bigger elements, is still read correctly.
enum StridedArray {
    /// The elements, each truncated or zero-extended to this host's layout; nil
    /// with a reason when the array is malformed.
    /// `minimumSize` is the element's size in ABI 1.0 (smaller than this host's layout when later
    /// minors appended fields); fields past an element's struct_size read as zero.
    static func read<T>(_ first: UnsafePointer<T>?, count: Int, limit: Int,
                        minimumSize: Int = MemoryLayout<T>.size) -> Result<[T], DescriptorProblem> {
        guard count > 0 else { return .success([]) }
        guard let first, count <= limit else {
            return .failure(DescriptorProblem("array of \(count) elements is NULL or longer than \(limit)"))
        }
        let raw = UnsafeRawPointer(first)
        let stride = Int(raw.load(as: UInt32.self))
        guard stride >= minimumSize, stride <= 1 << 16 else {
            return .failure(DescriptorProblem("element struct_size \(stride) is smaller than \(minimumSize), the 1.0 size"))
        }
        var elements: [T] = []
        elements.reserveCapacity(count)
        let copied = min(stride, MemoryLayout<T>.size)
        for index in 0..<count {
            let element = raw + index * stride
            guard Int(element.load(as: UInt32.self)) == stride else {
                return .failure(DescriptorProblem("element #\(index) has struct_size \(element.load(as: UInt32.self)), element #0 has \(stride); one array uses one size"))
            }
            if copied == MemoryLayout<T>.size {
                elements.append(element.loadUnaligned(as: T.self))
            } else {
                let zeroed = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.size, alignment: MemoryLayout<T>.alignment)
                defer { zeroed.deallocate() }
                zeroed.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<T>.size)
                zeroed.copyMemory(from: element, byteCount: copied)
                elements.append(zeroed.load(as: T.self))
            }
        }
        return .success(elements)
    }
}
