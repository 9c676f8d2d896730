/// Shell-style wildcards as nginx's `include` expands them (`*`, `?`,
/// `[a-z]`, `[!x]`); a leading dot is only matched by a literal dot.
struct GlobPattern {
    let pattern: [Character]

    init(_ pattern: String) { self.pattern = Array(pattern) }

    static func hasWildcards(_ text: String) -> Bool {
        text.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    func matches(_ name: String) -> Bool {
        let name = Array(name)
        if name.first == ".", pattern.first != "." { return false }
        return match(0, name, 0)
    }

    private func match(_ p: Int, _ name: [Character], _ n: Int) -> Bool {
        if p == pattern.count { return n == name.count }
        switch pattern[p] {
        case "*":
            for start in n...name.count where match(p + 1, name, start) { return true }
            return false
        case "?":
            return n < name.count && match(p + 1, name, n + 1)
        case "[":
            guard n < name.count, let (matched, next) = bracket(at: p, name[n]) else {
                return n < name.count && pattern[p] == name[n] && match(p + 1, name, n + 1)
            }
            return matched && match(next, name, n + 1)
        case let literal:
            return n < name.count && literal == name[n] && match(p + 1, name, n + 1)
        }
    }

    /// Whether `character` is in the bracket expression at `start`, and the index after it; nil if unterminated.
    private func bracket(at start: Int, _ character: Character) -> (Bool, Int)? {
        var index = start + 1
        var negated = false
        if index < pattern.count, pattern[index] == "!" || pattern[index] == "^" { negated = true; index += 1 }
        var found = false
        var first = true
        while index < pattern.count, first || pattern[index] != "]" {
            first = false
            if index + 2 < pattern.count, pattern[index + 1] == "-", pattern[index + 2] != "]" {
                if pattern[index] <= character && character <= pattern[index + 2] { found = true }
                index += 3
            } else {
                if pattern[index] == character { found = true }
                index += 1
            }
        }
        guard index < pattern.count else { return nil }
        return (found != negated, index + 1)
    }
}
