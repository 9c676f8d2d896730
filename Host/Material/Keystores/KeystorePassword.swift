import Foundation

/// Store passwords arrive as UTF-8 bytes; this turns them into what each format hashes.
enum KeystorePassword {
    /// Overwrites a derived copy of a password once it is no longer needed.
    /// `explicit_bzero` cannot be optimised away like a plain loop of stores.
    static func wipe<Element>(_ copy: inout [Element]) {
        copy.withUnsafeMutableBytes { raw in
            if let base = raw.baseAddress { explicit_bzero(base, raw.count) }
        }
    }

    /// Java's `char[]` as bytes: UTF-16, big-endian, no terminator (JKS integrity and key protection).
    static func utf16BigEndian(_ utf8: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count * 2)
        var iterator = utf8.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                for unit in String(scalar).utf16 {
                    output.append(UInt8(unit >> 8))
                    output.append(UInt8(unit & 0xff))
                }
            case .emptyInput:
                return output
            case .error:
                throw MaterialError.invalidField(field: "keystore password", value: "(not shown)",
                                                 problem: "is not valid UTF-8; re-enter it")
            }
        }
    }

    /// A NUL-terminated copy for OpenSSL's `const char *pass` parameters.
    static func cString(_ utf8: [UInt8]) throws -> [CChar] {
        guard !utf8.contains(0) else {
            throw MaterialError.invalidField(field: "keystore password", value: "(not shown)",
                                             problem: "contains a NUL character, which PKCS#12 cannot encode")
        }
        return utf8.map { CChar(bitPattern: $0) } + [0]
    }
}
