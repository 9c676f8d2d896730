import COpenSSL

/// Dotted-decimal text of OpenSSL ASN1_OBJECTs ("2.5.29.37.0").
enum ObjectIdentifierText {
    static func dotted(_ object: OpaquePointer?) -> String {
        guard let object else { return "" }
        var text = [CChar](repeating: 0, count: 128)
        let length = OBJ_obj2txt(&text, Int32(text.count), object, 1)
        guard length > 0 else { return "" }
        return String(decoding: text.prefix(min(Int(length), text.count - 1)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
