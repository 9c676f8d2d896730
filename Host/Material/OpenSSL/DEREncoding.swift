import COpenSSL

/// Runs OpenSSL's two-step `i2d_*` idiom (measure, then write) into a Swift array.
enum DEREncoding {
    static func encode(_ what: String,
                       _ i2d: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) throws -> [UInt8] {
        OpenSSLErrorQueue.clear()
        let length = i2d(nil)
        guard length > 0 else { throw OpenSSLErrorQueue.failure("encoding \(what) as DER") }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d(&cursor)
        }
        guard written == length else { throw OpenSSLErrorQueue.failure("encoding \(what) as DER") }
        return bytes
    }

    /// Runs an OpenSSL `d2i_*` function over `bytes`, returning nil when they do not parse.
    static func decode<T>(_ bytes: [UInt8],
                          _ d2i: (UnsafeMutablePointer<UnsafePointer<UInt8>?>?, Int) -> T?) -> T? {
        bytes.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i(&cursor, buffer.count)
        }
    }
}
