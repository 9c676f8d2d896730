import Foundation
import OGPlugins

/// What `plugins list` and `plugins info` print, as text or JSON.
public enum PluginPresentation {
    public struct ListedPlugin: Codable, Sendable {
        public var name: String
        public var version: String?
        public var abi: String?
        public var types: [String]
        public var path: String
        public var status: String
        public var reason: String?
        public var conflicts: [String: [String]]
    }

    public static func list(_ registry: PluginRegistry) -> [ListedPlugin] {
        registry.entries.map { entry in
            ListedPlugin(name: entry.name, version: entry.info?.version, abi: entry.abiVersion,
                         types: entry.info?.types.map(\.name) ?? [], path: entry.path,
                         status: entry.conflicts.isEmpty ? entry.status.rawValue : "conflict",
                         reason: entry.reason ?? (entry.conflicts.isEmpty ? nil : conflictText(entry.conflicts)),
                         conflicts: entry.conflicts)
        }
    }

    static func conflictText(_ conflicts: [String: [String]]) -> String {
        conflicts.sorted { $0.key < $1.key }
            .map { "type '\($0.key)' also served by \($0.value.joined(separator: ", "))" }.joined(separator: "; ")
    }

    public static func listText(_ plugins: [ListedPlugin], searchPath: PluginSearchPath) -> String {
        if plugins.isEmpty {
            return "No plugins found. Searched: \(searchPath.directories.joined(separator: ", "))\n"
        }
        let rows = plugins.map { plugin in
            [plugin.name, plugin.version ?? "-", plugin.abi ?? "-", plugin.types.isEmpty ? "-" : plugin.types.joined(separator: ","),
             plugin.status + (plugin.reason.map { ": \($0)" } ?? ""), plugin.path]
        }
        return Table.render(header: ["NAME", "VERSION", "ABI", "TYPES", "STATUS", "PATH"], rows: rows)
    }

    public struct TypeDetails: Codable, Sendable {
        public var type: String
        public var plugin: String
        public var pluginVersion: String
        public var path: String
        public var summary: String
        public var connectionTypes: [String]
        public var capabilities: [String]
        public var options: [OptionSpec]
    }

    public static func info(type: String, entry: PluginRegistry.Entry) -> TypeDetails? {
        guard let info = entry.info, let typeInfo = info.type(named: type) else { return nil }
        return TypeDetails(type: type, plugin: info.name, pluginVersion: info.version, path: entry.path,
                           summary: typeInfo.summary, connectionTypes: typeInfo.connectionTypes.map(\.rawValue),
                           capabilities: typeInfo.capabilities.map(\.rawValue), options: typeInfo.options)
    }
}

/// Fixed-width text tables for listings.
public enum Table {
    /// Columns padded to their widest cell, two spaces apart, the last column unpadded.
    /// Widths count characters; an ASCII cell (most are: IDs, names, hosts) is counted
    /// by its bytes, which skips grapheme breaking on tables of thousands of rows.
    /// The table is written as bytes and made a String once: appending cells and
    /// padding Strings one by one was half of `tls list` over 10,000 endpoints.
    public static func render(header: [String], rows: [[String]]) -> String {
        let columns = header.count
        // Each cell's width, row by row (header first), measured once.
        var cellWidths: [Int] = []
        cellWidths.reserveCapacity((rows.count + 1) * columns)
        var widths = [Int](repeating: 0, count: columns)
        var total = 0
        func measure(_ cells: [String]) {
            for (index, cell) in cells.enumerated() {
                var bytes = 0
                var ascii = true
                for byte in cell.utf8 {
                    bytes += 1
                    if byte >= 0x80 { ascii = false }
                }
                let width = ascii ? bytes : cell.count
                cellWidths.append(width)
                if index < columns { widths[index] = max(widths[index], width) }
                total += bytes
            }
        }
        measure(header)
        for row in rows { measure(row) }
        var output: [UInt8] = []
        output.reserveCapacity(total + (rows.count + 1) * (widths.reduce(0, +) + 2 * columns + 1))
        var next = 0
        func append(_ cells: [String]) {
            for (index, cell) in cells.enumerated() {
                output.append(contentsOf: cell.utf8)
                let width = cellWidths[next]
                next += 1
                if index == cells.count - 1 { continue }
                let padding = (index < columns ? widths[index] : 0) - width
                if padding > 0 { output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding)) }
                output.append(UInt8(ascii: " "))
                output.append(UInt8(ascii: " "))
            }
            output.append(UInt8(ascii: "\n"))
        }
        append(header)
        for row in rows { append(row) }
        return String(decoding: output, as: UTF8.self)
    }
}

/// JSON as every `--output json` prints it: sorted keys, snake_case, ISO dates.
public enum JSONOutput {
    public static func render<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}
