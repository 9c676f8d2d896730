import OGBasics

/// What `og-host plugins list` prints: one row per library found on the search path,
/// as a table or (through the CLI's JSON encoder) JSON. Foundation-free, so the
/// executable's own start answers `plugins list` without loading the CLI library.
public enum PluginListing {
    public struct Row: Codable, Sendable, Equatable {
        public var name: String
        public var version: String?
        public var abi: String?
        public var types: [String]
        public var path: String
        public var status: String
        public var reason: String?
        public var conflicts: [String: [String]]
    }

    public static func rows(_ registry: PluginRegistry) -> [Row] {
        registry.entries.map { entry in
            Row(name: entry.name, version: entry.info?.version, abi: entry.abiVersion,
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

    public static func text(_ plugins: [Row], searchPath: PluginSearchPath) -> String {
        if plugins.isEmpty {
            return "No plugins found. Searched: \(searchPath.directories.joined(separator: ", "))\n"
        }
        let rows = plugins.map { plugin in
            [plugin.name, plugin.version ?? "-", plugin.abi ?? "-", plugin.types.isEmpty ? "-" : plugin.types.joined(separator: ","),
             plugin.status + (plugin.reason.map { ": \($0)" } ?? ""), plugin.path]
        }
        return Table.render(header: ["NAME", "VERSION", "ABI", "TYPES", "STATUS", "PATH"], rows: rows)
    }
}
