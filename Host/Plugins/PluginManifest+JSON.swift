import OGBasics
import OGJSON

/// Reading a manifest from its JSON tree field by field, with the SDK's strict
/// parser (OGJSON) rather than `JSONDecoder`, whose first-time
/// protocol-conformance lookups (each a scan of every loaded image) were a
/// third of og-host's start. The names are the snake_case keys the manifest
/// writer produces; every problem names the field's path.
struct ManifestFieldError: Error, CustomStringConvertible {
    let path: String
    let problem: String
    var description: String { "\(path): \(problem)" }
}

private struct Fields {
    let value: JSON
    let path: String

    init(_ value: JSON, path: String) throws(ManifestFieldError) {
        guard case .object = value else { throw ManifestFieldError(path: path.isEmpty ? "(document)" : path, problem: "is not an object") }
        self.value = value
        self.path = path
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func required(_ key: String) throws(ManifestFieldError) -> JSON {
        guard let field = value[key] else { throw ManifestFieldError(path: name(key), problem: "is missing") }
        return field
    }

    func string(_ key: String) throws(ManifestFieldError) -> String {
        guard let text = try required(key).stringValue else { throw ManifestFieldError(path: name(key), problem: "is not a string") }
        return text
    }

    func optionalString(_ key: String) throws(ManifestFieldError) -> String? {
        guard let field = value[key], !field.isNull else { return nil }
        guard let text = field.stringValue else { throw ManifestFieldError(path: name(key), problem: "is not a string") }
        return text
    }

    func bool(_ key: String) throws(ManifestFieldError) -> Bool {
        guard let flag = try required(key).boolValue else { throw ManifestFieldError(path: name(key), problem: "is not true or false") }
        return flag
    }

    func integer<T: FixedWidthInteger>(_ key: String, _: T.Type = T.self) throws(ManifestFieldError) -> T {
        guard let number = try required(key).integer(T.self) else {
            throw ManifestFieldError(path: name(key), problem: "is not an integer in the range of \(T.self)")
        }
        return number
    }

    func array(_ key: String) throws(ManifestFieldError) -> [JSON] {
        guard let items = try required(key).arrayValue else { throw ManifestFieldError(path: name(key), problem: "is not an array") }
        return items
    }

    func strings(_ key: String) throws(ManifestFieldError) -> [String] {
        var result: [String] = []
        for (index, item) in try array(key).enumerated() {
            guard let text = item.stringValue else { throw ManifestFieldError(path: "\(name(key))[\(index)]", problem: "is not a string") }
            result.append(text)
        }
        return result
    }

    func enumerations<T: RawRepresentable>(_ key: String, _: T.Type) throws(ManifestFieldError) -> [T] where T.RawValue == String {
        var result: [T] = []
        for (index, text) in try strings(key).enumerated() {
            guard let value = T(rawValue: text) else {
                throw ManifestFieldError(path: "\(name(key))[\(index)]", problem: "'\(text)' is not a value this host knows")
            }
            result.append(value)
        }
        return result
    }
}

extension PluginManifest {
    init(json: JSON) throws(ManifestFieldError) {
        let fields = try Fields(json, path: "")
        format = try fields.integer("format")
        abiMajor = try fields.integer("abi_major")
        abiMinor = try fields.integer("abi_minor")
        threadSafe = try fields.bool("thread_safe")
        libraryFile = try fields.string("library_file")
        librarySize = try fields.integer("library_size")
        libraryModified = try fields.integer("library_modified")
        plugin = try PluginInfo(json: try fields.required("plugin"), path: "plugin")
    }
}

extension PluginInfo {
    init(json: JSON, path: String) throws(ManifestFieldError) {
        let fields = try Fields(json, path: path)
        var types: [EndpointTypeInfo] = []
        for (index, type) in try fields.array("types").enumerated() {
            types.append(try EndpointTypeInfo(json: type, path: "\(path).types[\(index)]"))
        }
        self.init(name: try fields.string("name"), version: try fields.string("version"),
                  license: try fields.string("license"), summary: try fields.string("summary"),
                  sdkMajor: try fields.integer("sdk_major"), sdkMinor: try fields.integer("sdk_minor"), types: types)
    }
}

extension EndpointTypeInfo {
    init(json: JSON, path: String) throws(ManifestFieldError) {
        let fields = try Fields(json, path: path)
        name = try fields.string("name")
        summary = try fields.string("summary")
        connectionTypes = try fields.enumerations("connection_types", ConnectionType.self)
        capabilities = try fields.enumerations("capabilities", Capability.self)
        var options: [OptionSpec] = []
        for (index, option) in try fields.array("options").enumerated() {
            options.append(try OptionSpec(json: option, path: "\(path).options[\(index)]"))
        }
        self.options = options
    }
}

extension OptionSpec {
    init(json: JSON, path: String) throws(ManifestFieldError) {
        let fields = try Fields(json, path: path)
        let kindText = try fields.string("kind")
        guard let kind = Kind(rawValue: kindText) else {
            throw ManifestFieldError(path: fields.name("kind"), problem: "'\(kindText)' is not an option kind this host knows")
        }
        self.init(name: try fields.string("name"), kind: kind, required: try fields.bool("required"),
                  secret: try fields.bool("secret"), min: try fields.integer("min"), max: try fields.integer("max"),
                  allowedValues: try fields.strings("allowed_values"), defaultValue: try fields.optionalString("default_value"),
                  help: try fields.string("help"))
    }
}
