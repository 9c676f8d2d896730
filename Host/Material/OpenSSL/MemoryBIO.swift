import COpenSSL

/// An OpenSSL memory BIO, freed with its owner.
///
/// `secure` BIOs keep their buffer in memory that is wiped when freed; use
/// them for anything holding private key bytes.
final class MemoryBIO {
    let pointer: OpaquePointer

    init(secure: Bool = false) throws {
        guard let bio = BIO_new(secure ? BIO_s_secmem() : BIO_s_mem()) else {
            throw OpenSSLErrorQueue.failure("allocating a memory buffer")
        }
        pointer = bio
    }

    /// A BIO holding a copy of `bytes`, ready to be read.
    convenience init<Bytes: Collection>(_ bytes: Bytes, secure: Bool = false) throws where Bytes.Element == UInt8 {
        try self.init(secure: secure)
        let copy = Array(bytes)
        if !copy.isEmpty {
            let written = copy.withUnsafeBytes { BIO_write(pointer, $0.baseAddress, Int32($0.count)) }
            guard written == Int32(copy.count) else { throw OpenSSLErrorQueue.failure("buffering input") }
        }
    }

    /// Everything written to the BIO so far.
    var bytes: [UInt8] {
        var start: UnsafeMutablePointer<CChar>?
        let count = og_BIO_get_mem_data(pointer, &start)
        guard let start, count > 0 else { return [] }
        return start.withMemoryRebound(to: UInt8.self, capacity: Int(count)) {
            Array(UnsafeBufferPointer(start: $0, count: Int(count)))
        }
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    deinit { BIO_free(pointer) }
}
