/// How library messages mention an input: "field `chain`". The library never
/// spells command-line options; a front end renders each mention its own way
/// (the CLI as `--chain`), and logs, the audit trail and a daemon show the
/// mention as written.
public enum FieldMention {
    /// The mention of `field` inside a message: "field `chain`".
    public static func of(_ field: String) -> String { "field `\(field)`" }

    private static let prefix = Array("field `".utf8)

    /// `text` with every mention replaced by `spell(field)`.
    public static func render(_ text: String, _ spell: (String) -> String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count > prefix.count else { return text }
        var output = ""
        var copied = 0
        var index = 0
        while index + prefix.count < bytes.count {
            guard bytes[index] == prefix[0], Array(bytes[index..<index + prefix.count]) == prefix else {
                index += 1
                continue
            }
            var end = index + prefix.count
            while end < bytes.count, isFieldByte(bytes[end]) { end += 1 }
            guard end < bytes.count, bytes[end] == UInt8(ascii: "`"), end > index + prefix.count else {
                index += 1
                continue
            }
            output += String(decoding: bytes[copied..<index], as: UTF8.self)
            output += spell(String(decoding: bytes[(index + prefix.count)..<end], as: UTF8.self))
            index = end + 1
            copied = index
        }
        guard copied > 0 else { return text }
        return output + String(decoding: bytes[copied...], as: UTF8.self)
    }

    private static func isFieldByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
