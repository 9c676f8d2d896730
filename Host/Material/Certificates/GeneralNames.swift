import COpenSSL

/// Converts between `SubjectAlternativeName` and OpenSSL's GENERAL_NAMES.
enum GeneralNames {
    /// Validates `names` and builds a GENERAL_NAMES stack; the caller frees it with `og_GENERAL_NAMES_free`.
    static func make(_ names: [SubjectAlternativeName], field: String) throws -> OpaquePointer {
        let checked = try names.enumerated().map { try $1.validated(field: "\(field)[\($0)]") }
        guard let stack = og_GENERAL_NAMES_new() else { throw OpenSSLErrorQueue.failure("building subjectAltName") }
        for name in checked {
            guard let entry = GENERAL_NAME_new() else {
                og_GENERAL_NAMES_free(stack)
                throw OpenSSLErrorQueue.failure("building subjectAltName")
            }
            let (kind, bytes): (Int32, [UInt8])
            switch name {
            case .dns(let host): (kind, bytes) = (GEN_DNS, Array(host.utf8))
            case .ipAddress(let address): (kind, bytes) = (GEN_IPADD, IPAddressText.bytes(of: address) ?? [])
            }
            let value = kind == GEN_DNS ? ASN1_IA5STRING_new() : ASN1_OCTET_STRING_new()
            guard let value, ASN1_STRING_set(value, bytes, Int32(bytes.count)) == 1 else {
                GENERAL_NAME_free(entry)
                og_GENERAL_NAMES_free(stack)
                throw OpenSSLErrorQueue.failure("building subjectAltName")
            }
            GENERAL_NAME_set0_value(entry, kind, UnsafeMutableRawPointer(value))
            guard og_sk_GENERAL_NAME_push(stack, entry) > 0 else {
                GENERAL_NAME_free(entry)
                og_GENERAL_NAMES_free(stack)
                throw OpenSSLErrorQueue.failure("building subjectAltName")
            }
        }
        return stack
    }

    /// The DNS and IP entries of a GENERAL_NAMES stack, in order; other kinds are skipped.
    static func read(_ stack: OpaquePointer) -> [SubjectAlternativeName] {
        var result: [SubjectAlternativeName] = []
        for index in 0..<og_sk_GENERAL_NAME_num(stack) {
            guard let entry = og_sk_GENERAL_NAME_value(stack, index) else { continue }
            var kind: Int32 = 0
            guard let value = GENERAL_NAME_get0_value(entry, &kind) else { continue }
            let string = value.assumingMemoryBound(to: ASN1_STRING.self)
            let bytes = Array(UnsafeBufferPointer(start: ASN1_STRING_get0_data(string), count: Int(ASN1_STRING_length(string))))
            switch kind {
            case GEN_DNS: result.append(.dns(String(decoding: bytes, as: UTF8.self)))
            case GEN_IPADD:
                if let text = IPAddressText.text(of: bytes) { result.append(.ipAddress(text)) }
            default: break
            }
        }
        return result
    }
}
