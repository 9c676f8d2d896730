/// A change to one configuration file: a byte range replaced by new text.
/// Insertions are empty ranges. Everything outside the ranges is kept byte for byte.
struct ConfigEdit {
    let file: String
    let range: Range<Int>
    let replacement: String

    /// `edits` applied to `bytes`; they must not overlap.
    static func apply(_ edits: [ConfigEdit], to bytes: [UInt8]) -> [UInt8] {
        var result = bytes
        for edit in edits.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            result.replaceSubrange(edit.range, with: Array(edit.replacement.utf8))
        }
        return result
    }

    /// `path` as an nginx argument: bare when it holds nothing nginx would read specially.
    static func argument(_ path: String) -> String {
        let plain = path.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "/._-+@:,=".unicodeScalars.contains($0)
        }
        if plain { return path }
        var quoted = "\""
        for character in path {
            if character == "\\" || character == "\"" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }

    /// The whitespace a line starts with, and the offset just past the line's newline.
    static func lineLayout(of bytes: [UInt8], containing offset: Int) -> (indentation: String, nextLineStart: Int) {
        var start = offset
        while start > 0, bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
        var end = start
        while end < bytes.count, bytes[end] == UInt8(ascii: " ") || bytes[end] == UInt8(ascii: "\t") { end += 1 }
        let indentation = String(decoding: bytes[start..<end], as: UTF8.self)
        var next = offset
        while next < bytes.count, bytes[next] != UInt8(ascii: "\n") { next += 1 }
        return (indentation, min(next + 1, bytes.count))
    }
}
