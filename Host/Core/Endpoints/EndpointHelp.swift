import OGPlugins

/// `og-host tls add <type> --help`, generated from the host's options and the
/// plugin's schema so it can never disagree with what is validated.
public enum EndpointHelp {
    public static func text(type: String, plugin: PluginInfo) -> String {
        guard let typeInfo = plugin.type(named: type) else { return "" }
        var text = "Usage: og-host tls add \(type) --name <name> --connection_type <type> [options]\n\n"
        text += "\(typeInfo.summary) (plugin \(plugin.name) \(plugin.version))\n\n"
        text += "Connection types: \(typeInfo.connectionTypes.map(\.rawValue).joined(separator: ", "))\n\n"
        var common = HostOptions.all
        if let index = common.firstIndex(where: { $0.name == "connection_type" }) {
            common[index].kind = .enumeration
            common[index].allowedValues = typeInfo.connectionTypes.map(\.rawValue)
        }
        text += "Common options:\n" + optionLines(common)
        if !typeInfo.options.isEmpty {
            text += "\n\(type) options:\n" + optionLines(typeInfo.options)
        }
        text += "\n  --help, -h\n      Show this help.\n"
        text += "\nSecrets (--password, --ssh_key_password and options marked secret) may be given as '-' to read\none line from standard input, or as env:NAME to read environment variable NAME, keeping them out of argv.\n"
        return text
    }

    static func optionLines(_ options: [OptionSpec]) -> String {
        options.map { option in
            var line = "  --\(option.name) <\(placeholder(option))>"
            var notes: [String] = []
            if option.required { notes.append("required") }
            if option.secret { notes.append("secret") }
            if let value = option.defaultValue { notes.append("default: \(value)") }
            if !notes.isEmpty { line += "  (\(notes.joined(separator: ", ")))" }
            return line + "\n      \(option.help)\n"
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
}
