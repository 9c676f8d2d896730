import Foundation
import OGPlugins

/// What `plugins info` prints, as text or JSON (`plugins list`: `PluginListing`, in OGPlugins).
public enum PluginPresentation {
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
