import OGHost

/// The words after `og-host tls add <type>` and `og-host tls update <endpoint>`,
/// read into the (field, value) pairs the library validates (`EndpointFields`).
/// These commands are not in ArgumentParser's tree because their options come
/// from the type's plugin. Accepts `--name value` and `--name=value`; every
/// option takes exactly one value, except `--help`/`-h`. A field given twice
/// is the library's to refuse, so it is kept here as given.
struct EndpointWords: Equatable {
    var pairs: [Pair] = []
    var wantsHelp = false

    struct Pair: Equatable {
        var field: String
        var value: String
    }

    init(_ words: [String]) throws {
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            if word == "--help" || word == "-h" {
                wantsHelp = true
                continue
            }
            guard word.hasPrefix("--"), word.count > 2 else {
                throw GatewayError("unexpected argument '\(word)': options are spelled --option value", category: .badInput)
            }
            var name = String(word.dropFirst(2))
            let value: String
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            } else {
                if index < words.count, words[index] == "--help" || words[index] == "-h" {
                    // Help where a value belongs is a missing value, not a request for help
                    // that exits 0 as if the add had been understood.
                    throw GatewayError.option(name, "needs a value, and \(words[index]) is not one (put --help on its own "
                                              + "to see the type's options)")
                }
                guard index < words.count, !(words[index].hasPrefix("--") && words[index].count > 2) else {
                    if wantsHelp || words.contains("--help") || words.contains("-h") {
                        wantsHelp = true
                        continue
                    }
                    throw GatewayError.option(name, "needs a value")
                }
                value = words[index]
                index += 1
            }
            pairs.append(Pair(field: name, value: value))
        }
    }

    /// The pairs as the library takes them (a field given twice is refused there).
    var fields: [(field: String, value: String)] { pairs.map { ($0.field, $0.value) } }
}

/// `og-host tls add <type> --help`, rendered from the library's `EndpointForm`
/// (the same specs an add is validated against), and the option lines of
/// `og-host plugins info`.
enum EndpointHelp {
    static func text(_ form: EndpointForm) -> String {
        var text = "Usage: og-host tls add \(form.type) --name <name> --connection_type <type> [options]\n\n"
        text += "\(form.summary) (plugin \(form.plugin) \(form.pluginVersion))\n\n"
        text += "Connection types: \(form.connectionTypes.joined(separator: ", "))\n\n"
        text += "Common options:\n" + optionLines(form.hostFields)
        if !form.typeFields.isEmpty {
            text += "\n\(form.type) options:\n" + optionLines(form.typeFields)
        }
        text += "\n  --help, -h\n      Show this help.\n"
        text += "\nSecrets (--password, --ssh_key_password and options marked secret) may be given as '-' to read\none line from standard input, or as env:NAME to read environment variable NAME, keeping them out of argv.\n"
        return text
    }

    static func optionLines(_ options: [OptionSpec]) -> String {
        options.map { option in
            var line = "  \(optionSpelling(option.name)) <\(placeholder(option))>"
            var notes: [String] = []
            if option.required { notes.append("required") }
            if option.secret { notes.append("secret") }
            if let value = option.defaultValue { notes.append("default: \(value)") }
            if !notes.isEmpty { line += "  (\(notes.joined(separator: ", ")))" }
            return line + "\n      \(GatewayError.rendering(option.help, fieldName: optionSpelling))\n"
        }.joined()
    }

    static func placeholder(_ option: OptionSpec) -> String {
        switch option.kind {
        case .boolean: return "true|false"
        case .enumeration: return option.allowedValues.joined(separator: "|")
        case .integer: return "\(option.min)-\(option.max)"
        case .path: return "path"
        case .string: return option.name.replacingOccurrences(of: "_", with: "-")
        }
    }

    /// `og-host plugins info <type>` as text.
    static func infoText(_ details: PluginPresentation.TypeDetails) -> String {
        var text = "\(details.type): \(details.summary)\n"
        text += "plugin: \(details.plugin) \(details.pluginVersion) (\(details.path))\n"
        text += "connection types: \(details.connectionTypes.joined(separator: ", "))\n"
        text += "capabilities: \(details.capabilities.joined(separator: ", "))\n"
        if !details.options.isEmpty {
            text += "options:\n" + optionLines(details.options)
        }
        return text
    }
}
