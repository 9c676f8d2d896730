/// Reads the big-endian primitives of Java's DataInputStream from bytes,
/// failing with the offset where the data ran out.
struct JavaDataReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    struct Truncated: Error {
        let offset: Int
        let wanted: Int
        let what: String
    }

    mutating func read(_ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw Truncated(offset: offset, wanted: count, what: what) }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func uint32(_ what: String) throws -> UInt32 {
        try read(4, what).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func uint64(_ what: String) throws -> UInt64 {
        try read(8, what).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Java's `readUTF`: a 16-bit length, then modified UTF-8.
    mutating func utf(_ what: String) throws -> String {
        let length = try read(2, what).reduce(0) { $0 << 8 | Int($1) }
        return try ModifiedUTF8.decode(Array(read(length, what)))
    }
}

/// Writes Java DataOutputStream primitives.
struct JavaDataWriter {
    private(set) var bytes: [UInt8] = []

    mutating func append<Bytes: Sequence>(_ more: Bytes) where Bytes.Element == UInt8 { bytes.append(contentsOf: more) }

    mutating func uint32(_ value: UInt32) {
        bytes.append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)])
    }

    mutating func uint64(_ value: UInt64) {
        uint32(UInt32(value >> 32))
        uint32(UInt32(value & 0xffff_ffff))
    }

    /// Java's `writeUTF`; `field` names the value if it is too long for the 16-bit length.
    mutating func utf(_ text: String, field: String) throws {
        let encoded = ModifiedUTF8.encode(text)
        guard encoded.count <= 0xffff else {
            throw MaterialError.invalidField(field: field, value: String(text.prefix(40)) + "…",
                                             problem: "is too long for a JKS keystore; shorten it")
        }
        bytes.append(contentsOf: [UInt8(encoded.count >> 8), UInt8(encoded.count & 0xff)])
        bytes.append(contentsOf: encoded)
    }
}

/// Java's "modified UTF-8": UTF-16 code units encoded one by one (so
/// supplementary characters become two 3-byte surrogates) and U+0000 as C0 80.
enum ModifiedUTF8 {
    struct Malformed: Error {}

    static func encode(_ text: String) -> [UInt8] {
        var output: [UInt8] = []
        for unit in text.utf16 {
            switch unit {
            case 0x0001...0x007f:
                output.append(UInt8(unit))
            case 0x0000, 0x0080...0x07ff:
                output.append(0xc0 | UInt8(unit >> 6))
                output.append(0x80 | UInt8(unit & 0x3f))
            default:
                output.append(0xe0 | UInt8(unit >> 12))
                output.append(0x80 | UInt8(unit >> 6 & 0x3f))
                output.append(0x80 | UInt8(unit & 0x3f))
            }
        }
        return output
    }

    static func decode(_ bytes: [UInt8]) throws -> String {
        // ASCII (every alias keytool and og-host make, "X.509") is the same bytes in both encodings; the
        // UTF-16 path below costs ~0.2 M instructions a string on first use of its generic transcoding.
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        var units: [UInt16] = []
        var index = 0
        func continuation(_ at: Int) throws -> UInt16 {
            guard at < bytes.count, bytes[at] & 0xc0 == 0x80 else { throw Malformed() }
            return UInt16(bytes[at] & 0x3f)
        }
        while index < bytes.count {
            let first = bytes[index]
            switch first >> 4 {
            case 0...7:
                units.append(UInt16(first))
                index += 1
            case 12, 13:
                units.append(UInt16(first & 0x1f) << 6 | (try continuation(index + 1)))
                index += 2
            case 14:
                units.append(UInt16(first & 0x0f) << 12 | (try continuation(index + 1)) << 6 | (try continuation(index + 2)))
                index += 3
            default:
                throw Malformed()
            }
        }
        return String(decoding: units, as: UTF16.self)
    }
}
