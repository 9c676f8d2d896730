// Foundation stays out of the plugin; these are the few text helpers it needs.

extension StringProtocol {
    func trimmingCharacters(in set: CharacterSetLite) -> String {
        var scalars = self[...]
        while let first = scalars.first, set.contains(first) { scalars = scalars.dropFirst() }
        while let last = scalars.last, set.contains(last) { scalars = scalars.dropLast() }
        return String(scalars)
    }
}

/// The few character classes the plugin trims, without Foundation.
enum CharacterSetLite {
    case whitespaces
    case whitespacesAndNewlines

    func contains(_ character: Character) -> Bool {
        switch self {
        case .whitespaces: return character == " " || character == "\t"
        case .whitespacesAndNewlines: return character.isWhitespace
        }
    }
}
