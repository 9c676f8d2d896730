import OGPluginKit

/// Splits nginx configuration text into tokens the way nginx reads it:
/// `#` starts a comment only where a token could start, quotes group
/// (`"a b"`, `'a;b'`) with backslash escapes, `${name}` belongs to a word,
/// and the bodies of `*_by_lua_block` directives are skipped as Lua, not
/// read as nginx syntax.
struct ConfigTokenizer {
    let bytes: [UInt8]
    let file: String
    private var position = 0
    private var line = 1

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    mutating func tokens() throws -> [ConfigToken] {
        var result: [ConfigToken] = []
        while let token = try next(previous: result) {
            result.append(token)
        }
        return result
    }

    private func parseError(_ message: String, line: Int) -> PluginError {
        PluginError(status: .parse, field: "nginx_config_path", message: "\(file):\(line): \(message)")
    }

    private mutating func next(previous: [ConfigToken]) throws -> ConfigToken? {
        skipSpaceAndComments()
        guard position < bytes.count else { return nil }
        let start = position, startLine = line
        let byte = bytes[position]
        switch byte {
        case UInt8(ascii: ";"):
            position += 1
            return ConfigToken(kind: .semicolon, text: ";", isQuoted: false, line: startLine, range: start..<position)
        case UInt8(ascii: "{"):
            position += 1
            if Self.opensLuaBlock(previous) {
                let bodyStart = position
                try skipLuaBody(openedAt: startLine)
                // The raw token covers the body and its closing brace.
                let body = String(decoding: bytes[bodyStart..<(position - 1)], as: UTF8.self)
                return ConfigToken(kind: .rawBlock, text: body, isQuoted: false, line: startLine, range: start..<position)
            }
            return ConfigToken(kind: .openBrace, text: "{", isQuoted: false, line: startLine, range: start..<position)
        case UInt8(ascii: "}"):
            position += 1
            return ConfigToken(kind: .closeBrace, text: "}", isQuoted: false, line: startLine, range: start..<position)
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return try quoted(by: byte, start: start, line: startLine)
        default:
            return try word(start: start, line: startLine)
        }
    }

    private mutating func skipSpaceAndComments() {
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "\n"):
                line += 1
                position += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                position += 1
            case UInt8(ascii: "#"):
                while position < bytes.count, bytes[position] != UInt8(ascii: "\n") { position += 1 }
            default:
                return
            }
        }
    }

    private mutating func quoted(by quote: UInt8, start: Int, line startLine: Int) throws -> ConfigToken {
        position += 1
        var text: [UInt8] = []
        while true {
            guard position < bytes.count else {
                throw parseError("the quoted string opened here is never closed; add the closing \(Character(Unicode.Scalar(quote)))",
                                 line: startLine)
            }
            let byte = bytes[position]
            if byte == quote {
                position += 1
                break
            }
            if byte == UInt8(ascii: "\\"), position + 1 < bytes.count {
                let escaped = bytes[position + 1]
                text.append(contentsOf: Self.unescape(escaped))
                position += 2
                continue
            }
            if byte == UInt8(ascii: "\n") { line += 1 }
            text.append(byte)
            position += 1
        }
        // nginx lets a closing parenthesis follow a quoted string directly and
        // reads it as the start of the next word: `if ($host != 'a.example') {`.
        if position < bytes.count, !Self.endsToken(bytes[position]), bytes[position] != UInt8(ascii: ")") {
            throw parseError("unexpected \"\(Character(Unicode.Scalar(bytes[position])))\" right after a quoted string; "
                             + "separate it with a space", line: line)
        }
        return ConfigToken(kind: .word, text: String(decoding: text, as: UTF8.self), isQuoted: true, line: startLine,
                           range: start..<position)
    }

    private mutating func word(start: Int, line startLine: Int) throws -> ConfigToken {
        var text: [UInt8] = []
        while position < bytes.count {
            let byte = bytes[position]
            if Self.endsToken(byte) { break }
            if byte == UInt8(ascii: "\\"), position + 1 < bytes.count {
                text.append(contentsOf: Self.unescape(bytes[position + 1]))
                position += 2
                continue
            }
            if byte == UInt8(ascii: "$"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "{") {
                // ${name}: the braces are part of the variable, not a block.
                guard let close = bytes[position...].firstIndex(of: UInt8(ascii: "}")) else {
                    throw parseError("the variable opened with ${ is never closed", line: startLine)
                }
                text.append(contentsOf: bytes[position...close])
                position = close + 1
                continue
            }
            text.append(byte)
            position += 1
        }
        return ConfigToken(kind: .word, text: String(decoding: text, as: UTF8.self), isQuoted: false, line: startLine,
                           range: start..<position)
    }

    /// What nginx makes of a backslash and the byte after it: quotes and
    /// backslashes lose the backslash, t/r/n become controls, anything else keeps it.
    private static func unescape(_ escaped: UInt8) -> [UInt8] {
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "\\"): return [escaped]
        case UInt8(ascii: "t"): return [9]
        case UInt8(ascii: "r"): return [13]
        case UInt8(ascii: "n"): return [10]
        default: return [UInt8(ascii: "\\"), escaped]
        }
    }

    private static func endsToken(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"),
             UInt8(ascii: ";"), UInt8(ascii: "{"), UInt8(ascii: "}"):
            return true
        default:
            return false
        }
    }

    /// OpenResty's `*_by_lua_block` directives take Lua code between braces.
    private static func opensLuaBlock(_ previous: [ConfigToken]) -> Bool {
        // The directive name is the first word after the last statement boundary.
        var index = previous.count - 1
        while index >= 0, previous[index].kind == .word { index -= 1 }
        let nameIndex = index + 1
        guard nameIndex < previous.count else { return false }
        return previous[nameIndex].text.hasSuffix("_by_lua_block")
    }

    /// Moves past the Lua code and its closing brace, honouring Lua strings,
    /// long brackets and comments so braces inside them do not count.
    private mutating func skipLuaBody(openedAt openLine: Int) throws {
        var depth = 1
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
                position += 1
            case UInt8(ascii: "{"):
                depth += 1
                position += 1
            case UInt8(ascii: "}"):
                depth -= 1
                position += 1
                if depth == 0 { return }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                position += 1
                while position < bytes.count, bytes[position] != byte, bytes[position] != UInt8(ascii: "\n") {
                    position += bytes[position] == UInt8(ascii: "\\") ? 2 : 1
                }
                position += 1
            case UInt8(ascii: "-") where position + 1 < bytes.count && bytes[position + 1] == UInt8(ascii: "-"):
                position += 2
                if let level = longBracketLevel() {
                    try skipLongBracket(level: level, openedAt: line)
                } else {
                    while position < bytes.count, bytes[position] != UInt8(ascii: "\n") { position += 1 }
                }
            case UInt8(ascii: "["):
                if let level = longBracketLevel() {
                    try skipLongBracket(level: level, openedAt: line)
                } else {
                    position += 1
                }
            default:
                position += 1
            }
        }
        throw parseError("the Lua block opened here is never closed; add its closing }", line: openLine)
    }

    /// The level of a Lua long bracket (`[[` is 0, `[==[` is 2) starting at the position, if one does.
    private func longBracketLevel() -> Int? {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "[") else { return nil }
        var index = position + 1, level = 0
        while index < bytes.count, bytes[index] == UInt8(ascii: "=") { level += 1; index += 1 }
        return index < bytes.count && bytes[index] == UInt8(ascii: "[") ? level : nil
    }

    private mutating func skipLongBracket(level: Int, openedAt openLine: Int) throws {
        position += level + 2
        let close = [UInt8(ascii: "]")] + Array(repeating: UInt8(ascii: "="), count: level) + [UInt8(ascii: "]")]
        while position + close.count <= bytes.count {
            if Array(bytes[position..<(position + close.count)]) == close {
                position += close.count
                return
            }
            if bytes[position] == UInt8(ascii: "\n") { line += 1 }
            position += 1
        }
        throw parseError("the Lua long string or comment opened here is never closed", line: openLine)
    }
}
