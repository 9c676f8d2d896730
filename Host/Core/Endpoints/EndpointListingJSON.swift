import Foundation
import OGCredentials
import OGInventory
import OGJSON

/// `tls list --output json` without JSONEncoder: the same document as
/// encoding `EndpointCatalog.Listing` (snake_case keys in sorted order, ISO
/// 8601 times, secret options masked), written with OGJSON's escaping from
/// rows read column by column. Over 10,000 endpoints JSONEncoder and the
/// per-endpoint decoding of options and secret references were 2,370 M
/// instructions against sqlite3's 42 M.
enum EndpointListingJSON {
    static func render(_ rows: [EndpointListingRow]) -> String {
        var out = "[\n"
        out.reserveCapacity(rows.count * 420)
        for (index, row) in rows.enumerated() {
            if index > 0 { out += ",\n" }
            var members: [(String, JSON)] = [
                ("connection_type", .string(row.connectionType)),
                ("created_at", .string(timestamp(row.createdAt))),
            ]
            if let credential = row.credential { members.append(("credential", .string(credential))) }
            members.append(("host", .string(row.host)))
            members.append(("id", .string(row.id)))
            members.append(("name", .string(row.name)))
            members.append(("options", .object(options(row.optionsJSON))))
            members.append(("plugin", .string(row.pluginName)))
            if let port = row.port { members.append(("port", .number(String(port)))) }
            members.append(("secret_options", .object(secretOptionNames(row.secretOptionsJSON).map { ($0, .string(Secret.mask)) })))
            members.append(("type", .string(row.type)))
            members.append(("updated_at", .string(timestamp(row.updatedAt))))
            if let user = row.user { members.append(("user", .string(user))) }
            PrettyJSON.write(.object(members), indent: 2, into: &out)
        }
        return rows.isEmpty ? "[\n\n]\n" : out + "\n]\n"
    }

    /// The options object with its string values, sorted by name; like the
    /// Codable listing, anything that is not an object of strings shows as {}.
    private static func options(_ text: String) -> [(String, JSON)] {
        guard case .object(let members)? = try? JSON.parse(text) else { return [] }
        var strings: [(String, JSON)] = []
        for (name, value) in members {
            guard case .string = value else { return [] }
            strings.append((name, value))
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
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = Int(parts.tm_year) + 1900
        let yearText = year < 1000 ? String(repeating: "0", count: 4 - String(year).count) + String(year) : String(year)
        return "\(yearText)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

/// Pretty-printed JSON in JSONEncoder's layout (two-space indent, `"key" : value`).
enum PrettyJSON {
    static func write(_ value: JSON, indent: Int, into out: inout String) {
        switch value {
        case .object(let members):
            guard !members.isEmpty else { out += "{\n\n" + String(repeating: " ", count: indent) + "}"; return }
            out += "{\n"
            let inner = String(repeating: " ", count: indent + 2)
            for (index, member) in members.enumerated() {
                if index > 0 { out += ",\n" }
                out += inner
                JSON.quote(member.0, into: &out)
                out += " : "
                write(member.1, indent: indent + 2, into: &out)
            }
            out += "\n" + String(repeating: " ", count: indent) + "}"
        case .array(let items):
            guard !items.isEmpty else { out += "[\n\n" + String(repeating: " ", count: indent) + "]"; return }
            out += "[\n"
            let inner = String(repeating: " ", count: indent + 2)
            for (index, item) in items.enumerated() {
                if index > 0 { out += ",\n" }
                out += inner
                write(item, indent: indent + 2, into: &out)
            }
            out += "\n" + String(repeating: " ", count: indent) + "]"
        default:
            out += value.description
        }
    }
}
