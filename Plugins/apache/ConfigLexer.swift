import OGPluginKit

/// One logical line of an Apache configuration file: physical lines joined
/// where they end in a backslash, as httpd joins them before it looks at them.
struct LogicalLine {
    let file: String
    /// 1-based number of the first physical line.
    let line: Int
    /// How many physical lines it spans (more than 1 for continued lines).
    let lineCount: Int
    /// The leading blanks of the first physical line, kept when og-host rewrites it.
    let indentation: String
    /// The text without leading blanks, continuations joined.
    let text: String

    var location: String { "\(file):\(line)" }
    var isComment: Bool { text.hasPrefix("#") }
    var isBlank: Bool { text.isEmpty }
}

/// Splits a file into logical lines.
enum ConfigLexer {
    static func lines(of bytes: [UInt8], file: String) -> [LogicalLine] {
        let physical = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        var result: [LogicalLine] = []
        var index = 0
        while index < physical.count {
            let first = index
            var joined = ""
            var text = physical[index]
            // httpd drops trailing blanks before it looks for the continuation backslash.
            while true {
                text = text.trimmingCharacters(in: .whitespaces).isEmpty ? "" : trimTrailing(text)
                if text.hasSuffix("\\"), index + 1 < physical.count {
                    joined += String(text.dropLast())
                    index += 1
                    text = physical[index]
                } else {
                    joined += text
                    break
                }
            }
            let raw = physical[first]
            let indentation = String(raw.prefix { $0 == " " || $0 == "\t" })
            result.append(LogicalLine(file: file, line: first + 1, lineCount: index - first + 1,
                                      indentation: indentation,
                                      text: joined.trimmingCharacters(in: .whitespaces)))
            index += 1
        }
        return result
    }

    private static func trimTrailing(_ text: String) -> String {
        var trimmed = Substring(text)
        while let last = trimmed.last, last == " " || last == "\t" { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }

    /// Splits directive arguments the way httpd's ap_getword_conf does:
    /// blanks separate words; a word opened by " or ' runs to the matching
    /// quote, where a backslash escapes that quote.
    static func words(_ text: String, at line: LogicalLine) throws -> [String] {
        var words: [String] = []
        var characters = Substring(text)
        while true {
            characters = characters.drop { $0 == " " || $0 == "\t" }
            guard let first = characters.first else { break }
            if first == "\"" || first == "'" {
                var word = ""
                var rest = characters.dropFirst()
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\\", let next = rest.first, next == first {
                        word.append(next)
                        rest = rest.dropFirst()
                    } else if character == first {
                        closed = true
                        break
                    } else {
                        word.append(character)
                    }
                }
                guard closed else {
                    throw PluginError(status: .parse, field: nil,
                                      message: "\(line.location): the quote \(first) is never closed; close it on "
                                          + "the same line (or before the end of a continued line)")
                }
                words.append(word)
                characters = rest
            } else {
                let word = characters.prefix { $0 != " " && $0 != "\t" }
                words.append(String(word))
                characters = characters.dropFirst(word.count)
            }
        }
        return words
    }
}
