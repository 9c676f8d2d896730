/// Defects that would make the host refuse or misread a descriptor, found
/// before it is ever encoded. Each names the place and the fix.
extension PluginDescriptor {
    /// Options the host owns for every endpoint type; a plugin must not declare them.
    static let hostOwnedOptions: Set<String> = [
        "name", "connection_type", "host", "port", "user", "password", "ssh_key_path", "ssh_key_password",
        "store", "store_cred_id",
    ]

    var problems: [String] {
        var problems: [String] = []
        if !Self.matches(name, allowed: "abcdefghijklmnopqrstuvwxyz0123456789_-", maximumLength: 64) {
            problems.append("plugin name '\(name)': use 1 to 64 of a-z 0-9 _ - (it is the library's "
                            + "libog-plugin-<name>.so basename)")
        }
        for (label, value) in [("version", version), ("license", license), ("summary", summary)] where value.isEmpty {
            problems.append("plugin \(label): is empty; every descriptor states it")
        }
        if types.isEmpty {
            problems.append("plugin '\(name)': serves no endpoint type; declare at least one")
        }
        var typeNames = Set<String>()
        for type in types {
            if !typeNames.insert(type.name).inserted {
                problems.append("endpoint type '\(type.name)': declared twice; type names are unique")
            }
            problems += type.problems
        }
        for text in allTexts where text.utf8.contains(0) {
            problems.append("descriptor text '\(text)': contains a NUL byte, which would cut the C string short")
        }
        return problems
    }

    private var allTexts: [String] {
        [name, version, license, summary] + types.flatMap { type in
            [type.name, type.summary] + type.options.flatMap { option -> [String] in
                var texts = [option.name, option.help] + [option.defaultValue].compactMap { $0 }
                if case .enumeration(let values) = option.kind { texts += values }
                return texts
            }
        }
    }

    /// Whether `text` is 1 to `maximumLength` characters, each one of `allowed` (ASCII). Compared byte by
    /// byte: a character outside ASCII has no byte in `allowed`, so the answer is the same as comparing
    /// characters, without grapheme breaking (~0.5 M instructions at every plugin load).
    static func matches(_ text: String, allowed: String, maximumLength: Int) -> Bool {
        let bytes = text.utf8
        return !bytes.isEmpty && bytes.count <= maximumLength && bytes.allSatisfy { allowed.utf8.contains($0) }
    }
}

extension EndpointTypeDescriptor {
    var problems: [String] {
        var problems: [String] = []
        let place = "endpoint type '\(name)'"
        if !PluginDescriptor.matches(name, allowed: "abcdefghijklmnopqrstuvwxyz0123456789_", maximumLength: 32) {
            problems.append("\(place): use 1 to 32 of a-z 0-9 _ for the name operators type after `tls add`")
        }
        if summary.isEmpty { problems.append("\(place): summary is empty; give one line") }
        if connectionTypes.isEmpty { problems.append("\(place): allows no connection type; allow at least one") }
        if capabilities.contains(.verifyServed) && !capabilities.contains(.install) {
            problems.append("\(place): advertises verifyServed without install; verify targets come from install plans")
        }
        var optionNames = Set<String>()
        for option in options {
            if !optionNames.insert(option.name).inserted {
                problems.append("\(place), option '\(option.name)': declared twice")
            }
            problems += option.problems.map { "\(place), option '\(option.name)': \($0)" }
        }
        return problems
    }
}

extension OptionSchema {
    var problems: [String] {
        var problems: [String] = []
        if !PluginDescriptor.matches(name, allowed: "abcdefghijklmnopqrstuvwxyz0123456789_", maximumLength: 40) {
            problems.append("use 1 to 40 of a-z 0-9 _ for the name operators type after --")
        }
        if PluginDescriptor.hostOwnedOptions.contains(name) {
            problems.append("the host owns this option for every type; remove it from the schema")
        }
        if help.isEmpty { problems.append("help is empty; say in a sentence what the option is for") }
        if let minimum, let maximum, minimum > maximum {
            problems.append("minimum \(minimum) is above maximum \(maximum)")
        }
        if kind != .integer, let minimum, minimum < 0 {
            problems.append("minimum length \(minimum) is negative")
        }
        if case .enumeration(let values) = kind {
            if values.isEmpty { problems.append("an enumeration needs at least one allowed value") }
            if Set(values).count != values.count { problems.append("allowed values repeat") }
        }
        if let defaultValue, let reason = rejection(of: defaultValue) {
            problems.append("default '\(defaultValue)' \(reason)")
        }
        return problems
    }

    /// Why the host would refuse `value` for this option, or nil if it accepts it.
    private func rejection(of value: String) -> String? {
        switch kind {
        case .integer:
            guard let number = Int64(value) else { return "is not a decimal integer" }
            if let minimum, number < minimum { return "is below the minimum \(minimum)" }
            if let maximum, number > maximum { return "is above the maximum \(maximum)" }
        case .boolean:
            if value != "true" && value != "false" { return "is neither true nor false" }
        case .enumeration(let values):
            if !values.contains(value) { return "is not one of \(values.joined(separator: ", "))" }
        case .string, .path:
            let length = Int64(value.count)
            if let minimum, length < minimum { return "is shorter than the minimum length \(minimum)" }
            if let maximum, length > maximum { return "is longer than the maximum length \(maximum)" }
            if kind == .path, value.contains(where: { $0 == "\n" || $0 == "\r" }) { return "contains a newline" }
        }
        return nil
    }
}
