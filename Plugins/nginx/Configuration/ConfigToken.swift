/// One lexical element of an nginx configuration file, with where it lies
/// in the file's bytes so an edit can replace exactly it.
struct ConfigToken: Equatable {
    enum Kind: Equatable {
        /// A directive name or argument; `text` is unquoted and unescaped.
        case word
        case semicolon
        case openBrace
        case closeBrace
        /// The body of a Lua block, kept as raw text.
        case rawBlock
    }

    var kind: Kind
    var text: String
    var isQuoted: Bool
    var line: Int
    /// Byte range of the token in its file, quotes included.
    var range: Range<Int>
}
