/// One nginx directive with its arguments, and its children when it opens a
/// block. `include`s are already replaced by the directives they bring in, each
/// keeping the file it came from.
struct ConfigDirective {
    var name: String
    var arguments: [ConfigToken]
    /// Nil for a simple directive ending in `;`.
    var children: [ConfigDirective]?
    var file: String
    var line: Int
    /// Byte offset where the directive's name starts in `file`.
    var startOffset: Int
    /// Byte offset just past its `;` or `{`.
    var endOffset: Int

    /// Where a directive is written: the same directive reached through two
    /// includes has one identity.
    var identity: String { "\(file)#\(startOffset)" }
    var location: String { "\(file):\(line)" }

    func childrenNamed(_ name: String) -> [ConfigDirective] {
        (children ?? []).filter { $0.name == name }
    }
}
