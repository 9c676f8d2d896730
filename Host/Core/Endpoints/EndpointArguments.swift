/// The words after `og-host tls add <type>`, split into options. Accepts
/// `--name value` and `--name=value`; every option takes exactly one value,
/// except `--help`/`-h`.
public struct EndpointArguments: Sendable, Equatable {
    public var values: [String: String] = [:]
    /// Option names in the order given, for messages.
    public var order: [String] = []
    public var wantsHelp = false

    public init(_ words: [String]) throws {
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
            var value: String
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
            guard values[name] == nil else { throw GatewayError.option(name, "is given more than once; give it once") }
            values[name] = value
            order.append(name)
        }
    }

    public subscript(_ name: String) -> String? { values[name] }
}
