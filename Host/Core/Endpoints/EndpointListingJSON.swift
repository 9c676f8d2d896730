import Foundation
import OGCredentials
import OGInventory
import OGJSON

/// `tls list --output json` without JSONEncoder: the same document as
/// encoding `EndpointCatalog.Listing` (snake_case keys in sorted order, ISO
/// 8601 times, secret options masked), written as bytes from rows read column
/// by column. Over 10,000 endpoints JSONEncoder and the per-endpoint decoding
/// of options and secret references were 2,370 M instructions against
/// sqlite3's 42 M; building a `JSON` value per endpoint and escaping it
/// scalar by scalar into a String was still most of what remained.
enum EndpointListingJSON {
    static func render(_ rows: [EndpointListingRow]) -> String {
        guard !rows.isEmpty else { return "[\n\n]\n" }
        var out = JSONBytes()
        out.bytes.reserveCapacity(rows.count * 480)
        out.raw("[\n")
        for (index, row) in rows.enumerated() {
            if index > 0 { out.raw(",\n") }
            // Keys in sorted order, as the Codable listing is encoded.
            out.raw("  {\n")
            out.member("connection_type", row.connectionType, first: true)
            out.member("created_at", timestamp(row.createdAt))
            if let credential = row.credential { out.member("credential", credential) }
            out.member("host", row.host)
            out.member("id", row.id)
            out.member("name", row.name)
            out.key("options")
            out.object(options(row.optionsJSON))
            out.member("plugin", row.pluginName)
            if let port = row.port {
                out.key("port")
                out.raw(String(port))
            }
            out.key("secret_options")
            out.object(secretOptionNames(row.secretOptionsJSON).map { ($0, Secret.mask) })
            out.member("type", row.type)
            out.member("updated_at", timestamp(row.updatedAt))
            if let user = row.user { out.member("user", user) }
            out.raw("\n  }")
        }
        out.raw("\n]\n")
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// The options object with its string values, sorted by name; like the
    /// Codable listing, anything that is not an object of strings shows as {}.
    private static func options(_ text: String) -> [(String, String)] {
        guard case .object(let members)? = try? JSON.parse(text) else { return [] }
        var strings: [(String, String)] = []
        for (name, value) in members {
            guard case .string(let string) = value else { return [] }
            strings.append((name, string))
        }
        return strings.sorted { $0.0 < $1.0 }
    }

    private static func secretOptionNames(_ text: String) -> [String] {
        guard case .object(let members)? = try? JSON.parse(text) else { return [] }
        return members.map(\.0).sorted()
    }

    /// `2026-12-06T07:12:03Z`, as JSONEncoder's .iso8601 writes it (whole seconds, UTC).
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text: [UInt8] = []
        text.reserveCapacity(20)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var rest = value
            if rest >= divisor * 10 {
                text.append(contentsOf: String(rest).utf8)
                return
            }
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        text.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        text.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        text.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        text.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        text.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }
}

/// A listing's JSON written as UTF-8 bytes in JSONEncoder's pretty layout
/// (two-space indent, `"key" : value`, an empty object as `{\n\n}`), members
/// of the endpoint objects at indent 4. Strings are escaped byte by byte: the
/// bytes JSON escapes are all ASCII, and every byte of a multi-byte UTF-8
/// sequence is ≥ 0x80, so the rest is copied as it is.
struct JSONBytes {
    var bytes: [UInt8] = []
    private var members = 0

    mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// The next member's `"key" : ` at indent 4 (after a comma unless first).
    mutating func key(_ name: String, first: Bool = false) {
        if first { members = 0 }
        raw(members == 0 ? "    " : ",\n    ")
        members += 1
        string(name)
        raw(" : ")
    }

    mutating func member(_ name: String, _ value: String, first: Bool = false) {
        key(name, first: first)
        string(value)
    }

    /// An object of strings as a member value (its members at indent 6).
    mutating func object(_ members: [(String, String)]) {
        guard !members.isEmpty else {
            raw("{\n\n    }")
            return
        }
        raw("{\n")
        for (index, member) in members.enumerated() {
            raw(index == 0 ? "      " : ",\n      ")
            string(member.0)
            raw(" : ")
            string(member.1)
        }
        raw("\n    }")
    }

    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                start = index + 1
                switch byte {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case UInt8(ascii: "\n"): raw("\\n")
                case UInt8(ascii: "\r"): raw("\\r")
                case UInt8(ascii: "\t"): raw("\\t")
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    raw("\\u00")
                    bytes.append(hex[Int(byte >> 4)])
                    bytes.append(hex[Int(byte & 0xF)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
