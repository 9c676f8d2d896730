import OGPluginABI

/// Reads memory the host lends for a call, refusing what cannot be read
/// safely: a NULL pointer with a non-zero length, a length so large it can
/// only be garbage, text that is not UTF-8. Every refusal is a
/// `.invalidArgument` PluginError naming the input, never a crash.
enum HostMemory {
    /// No option value, path or name the host sends comes near this.
    static let maximumTextLength = 1 << 20
    /// Larger than any certificate, keystore or configuration file.
    static let maximumByteCount = 1 << 30
    /// Larger than any list of options, names or certificates.
    static let maximumElementCount = 1 << 20

    static func text(_ value: og_str, field: String) throws -> String {
        let raw = try span(value.ptr.map(UnsafeRawPointer.init), count: value.len, elementSize: 1,
                           limit: maximumTextLength, field: field, noun: "text")
        guard let raw else { return "" }
        let utf8 = UnsafeBufferPointer(start: raw.assumingMemoryBound(to: UInt8.self), count: Int(value.len))
        guard isValidUTF8(utf8) else {
            throw PluginError(status: .invalidArgument, field: field,
                              message: "is not valid UTF-8; every text crossing the plugin ABI must be UTF-8")
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    static func bytes(_ value: og_bytes, field: String) throws -> [UInt8] {
        let raw = try span(value.ptr.map(UnsafeRawPointer.init), count: value.len, elementSize: 1,
                           limit: maximumByteCount, field: field, noun: "byte string")
        guard let raw else { return [] }
        return Array(UnsafeBufferPointer(start: raw.assumingMemoryBound(to: UInt8.self), count: Int(value.len)))
    }

    static func elements<Element>(_ base: UnsafePointer<Element>?, count: Int, field: String) throws
        -> UnsafeBufferPointer<Element> {
        let raw = try span(base.map(UnsafeRawPointer.init), count: count, elementSize: MemoryLayout<Element>.stride,
                           limit: maximumElementCount, field: field, noun: "list")
        guard let raw else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Element.self), count: count)
    }

    /// Elements of an array of size-prefixed structs, stepping by the elements'
    /// own struct_size (the header's array rule) and keeping the fields this
    /// build knows; a host built against a later minor has bigger elements.
    static func sizedElements<Element>(_ base: UnsafePointer<Element>?, count: Int, field: String) throws -> [Element] {
        guard count > 0, let base else {
            _ = try span(base.map(UnsafeRawPointer.init), count: count, elementSize: MemoryLayout<Element>.stride,
                         limit: maximumElementCount, field: field, noun: "list")
            return []
        }
        let first = UnsafeRawPointer(base)
        let stride = Int(first.load(as: UInt32.self))
        guard stride >= MemoryLayout<Element>.size else {
            throw PluginError(status: .invalidArgument, field: field,
                              message: "has elements of struct_size \(stride), smaller than the \(MemoryLayout<Element>.size) bytes of ABI 1.0")
        }
        guard let raw = try span(first, count: count, elementSize: stride, limit: maximumElementCount, field: field,
                                 noun: "list") else { return [] }
        return try (0..<count).map { index in
            let element = raw + index * stride
            guard Int(element.load(as: UInt32.self)) == stride else {
                throw PluginError(status: .invalidArgument, field: "\(field)[\(index)]",
                                  message: "has struct_size \(element.load(as: UInt32.self)); element 0 has \(stride) and one list uses one size")
            }
            return element.loadUnaligned(as: Element.self)
        }
    }

    /// The start of `count` elements at `base`, nil for an empty span.
    private static func span(_ base: UnsafeRawPointer?, count: Int, elementSize: Int, limit: Int, field: String,
                             noun: String) throws -> UnsafeRawPointer? {
        // size_t arrives as Int: a length above Int.max shows up negative.
        guard count >= 0, count <= limit else {
            throw PluginError(status: .invalidArgument, field: field,
                              message: "has a \(noun) length of \(UInt(bitPattern: count)), above the limit of \(limit); "
                                  + "the length is corrupt")
        }
        guard count > 0 else { return nil }
        guard let base else {
            throw PluginError(status: .invalidArgument, field: field,
                              message: "is a NULL \(noun) with length \(count); a NULL pointer needs length 0")
        }
        let (byteCount, overflowed) = count.multipliedReportingOverflow(by: elementSize)
        let end = UInt(bitPattern: base).addingReportingOverflow(UInt(bitPattern: byteCount))
        guard !overflowed, !end.overflow else {
            throw PluginError(status: .invalidArgument, field: field,
                              message: "claims a \(noun) that runs past the end of memory; the pointer or length is corrupt")
        }
        return base
    }

    private static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}

/// A host struct that starts with `struct_size`: only fields lying wholly
/// inside that size are read (the Swift form of OG_HAS_FIELD), one field at a
/// time, so a smaller struct from an older host is never over-read.
struct SizedStruct<Layout> {
    private let base: UnsafeRawPointer
    /// The size the writer declared.
    let declaredSize: Int

    init(_ pointer: UnsafePointer<Layout>) {
        base = UnsafeRawPointer(pointer)
        declaredSize = Int(base.load(as: UInt32.self))
    }

    func has<Value>(_ field: KeyPath<Layout, Value>) -> Bool {
        guard let offset = MemoryLayout<Layout>.offset(of: field) else { return false }
        return declaredSize >= offset + MemoryLayout<Value>.size
    }

    /// The field's value, or nil when it lies outside `declaredSize`.
    func read<Value>(_ field: KeyPath<Layout, Value>) -> Value? {
        guard has(field), let offset = MemoryLayout<Layout>.offset(of: field) else { return nil }
        return base.load(fromByteOffset: offset, as: Value.self)
    }

    /// The field's value, or a `.invalidArgument` error naming it when the struct is too small to hold it.
    func require<Value>(_ field: KeyPath<Layout, Value>, named name: String) throws -> Value {
        guard let value = read(field) else {
            throw PluginError(status: .invalidArgument, field: name,
                              message: "lies outside the struct's declared size of \(declaredSize) bytes; "
                                  + "the caller built it for an older or broken ABI")
        }
        return value
    }
}
