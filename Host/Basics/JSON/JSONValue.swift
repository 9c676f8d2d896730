/// A parsed JSON document (RFC 8259), for the host's own small files that are
/// read on every start (plugin manifests).
///
/// Why not `JSONDecoder`: decoding six manifests with it cost about 38 M
/// instructions, a third of `og-host plugins list`, most of it in the Swift
/// runtime's first-time protocol-conformance lookups, which scan every loaded
/// image. Reading a tree and picking fields costs a small fraction of that.
///
/// Numbers keep their literal text, so a 64-bit integer (a nanosecond mtime)
/// survives exactly. Parsing is iterative over bytes with a nesting limit, so
/// hostile input cannot exhaust the stack.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in document order; a repeated key is refused by the parser.
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        default: return false
        }
    }

    /// Why a document is not valid JSON: the byte offset and what was expected.
    public struct SyntaxError: Error, CustomStringConvertible, Equatable, Sendable {
        public let offset: Int
        public let problem: String
        public var description: String { "invalid JSON at byte \(offset): \(problem)" }
    }

    public static let defaultMaximumDepth = 64

    public static func parse(_ bytes: [UInt8], maximumDepth: Int = defaultMaximumDepth) throws(SyntaxError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maximumDepth: maximumDepth)
        return try parser.document()
    }

    // MARK: Reading fields

    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    public var stringValue: String? { if case .string(let text) = self { text } else { nil } }
    public var boolValue: Bool? { if case .bool(let flag) = self { flag } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let items) = self { items } else { nil } }
    public var isNull: Bool { self == .null }

    /// The number as an exact integer of type `T`; nil for fractions, exponents or out-of-range values.
    public func integer<T: FixedWidthInteger>(_: T.Type = T.self) -> T? {
        guard case .number(let text) = self else { return nil }
        return T(text)
    }
}

/// A byte-level recursive-descent parser with an explicit depth bound.
struct JSONParser {
    let bytes: [UInt8]
    let maximumDepth: Int
    var position = 0

    init(bytes: [UInt8], maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    mutating func document() throws(JSONValue.SyntaxError) -> JSONValue {
        // A UTF-8 byte order mark is tolerated (RFC 8259 §8.1 allows ignoring it).
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        let result = try value(depth: 0)
        skipWhitespace()
        guard position == bytes.count else { throw failure("unexpected data after the document") }
        return result
    }

    private func failure(_ problem: String) -> JSONValue.SyntaxError {
        JSONValue.SyntaxError(offset: position, problem: problem)
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func value(depth: Int) throws(JSONValue.SyntaxError) -> JSONValue {
        skipWhitespace()
        guard position < bytes.count else { throw failure("the document ends where a value was expected") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected character where a value was expected")
        }
    }

    private mutating func literal(_ word: String) throws(JSONValue.SyntaxError) {
        let expected = word.utf8
        guard bytes.count - position >= expected.count, bytes[position..<(position + expected.count)].elementsEqual(expected) else {
            throw failure("unknown literal")
        }
        position += expected.count
    }

    private mutating func object(depth: Int) throws(JSONValue.SyntaxError) -> JSONValue {
        guard depth <= maximumDepth else { throw failure("nested more than \(maximumDepth) levels deep") }
        position += 1
        var members: [(String, JSONValue)] = []
        var seen = Set<String>()
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let key = try string()
            // A linear look for small objects; a set once an object is large, so hostile input stays linear.
            if members.count < 16 ? members.contains(where: { $0.0 == key }) : !seen.insert(key).inserted {
                throw failure("the member \"\(key)\" appears twice")
            }
            if members.count == 15 { seen = Set(members.map(\.0) + [key]) }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw failure("expected ':' after a member name") }
            position += 1
            members.append((key, try value(depth: depth)))
            skipWhitespace()
            guard position < bytes.count else { throw failure("the document ends inside an object") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
            throw failure("expected ',' or '}' in an object")
        }
    }

    private mutating func array(depth: Int) throws(JSONValue.SyntaxError) -> JSONValue {
        guard depth <= maximumDepth else { throw failure("nested more than \(maximumDepth) levels deep") }
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            items.append(try value(depth: depth))
            skipWhitespace()
            guard position < bytes.count else { throw failure("the document ends inside an array") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
            throw failure("expected ',' or ']' in an array")
        }
    }

    private mutating func number() throws(JSONValue.SyntaxError) -> String {
        let start = position
        func digits(_ parser: inout JSONParser) -> Int {
            let from = parser.position
            while parser.position < parser.bytes.count, (0x30...0x39).contains(parser.bytes[parser.position]) { parser.position += 1 }
            return parser.position - from
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count else { throw failure("a number ends after '-'") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else if digits(&self) == 0 {
            throw failure("a number needs digits")
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits(&self) > 0 else { throw failure("a fraction needs digits") }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits(&self) > 0 else { throw failure("an exponent needs digits") }
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private mutating func string() throws(JSONValue.SyntaxError) -> String {
        position += 1
        // Most strings have no escapes: one scan, one validated copy.
        var end = position
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") {
                guard let text = String(validating: bytes[position..<end], as: UTF8.self) else { break }
                position = end + 1
                return text
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            end += 1
        }
        return try escapedString()
    }

    /// The general path: escapes, and precise errors for control characters and bad UTF-8.
    private mutating func escapedString() throws(JSONValue.SyntaxError) -> String {
        var scalars = String.UnicodeScalarView()
        var runStart = position
        while true {
            guard position < bytes.count else { throw failure("the document ends inside a string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                try appendRun(from: runStart, to: &scalars)
                position += 1
                return String(scalars)
            }
            if byte < 0x20 { throw failure("a control character must be escaped in a string") }
            if byte != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            try appendRun(from: runStart, to: &scalars)
            position += 1
            guard position < bytes.count else { throw failure("the document ends inside an escape") }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard bytes.count - position >= 6, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                        throw failure("a high surrogate is not followed by a low one")
                    }
                    position += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw failure("a high surrogate is not followed by a low one") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(code) {
                    throw failure("a low surrogate stands alone")
                }
                guard let scalar = Unicode.Scalar(code) else { throw failure("an escape names no Unicode scalar") }
                scalars.append(scalar)
            default:
                throw failure("unknown escape")
            }
            runStart = position
        }
    }

    /// Appends the unescaped bytes runStart..<position, which must be valid UTF-8.
    private func appendRun(from runStart: Int, to scalars: inout String.UnicodeScalarView) throws(JSONValue.SyntaxError) {
        guard runStart < position else { return }
        guard let text = String(validating: bytes[runStart..<position], as: UTF8.self) else {
            throw JSONValue.SyntaxError(offset: runStart, problem: "a string is not valid UTF-8")
        }
        scalars.append(contentsOf: text.unicodeScalars)
    }

    private mutating func hex4() throws(JSONValue.SyntaxError) -> UInt32 {
        guard bytes.count - position >= 4 else { throw failure("a \\u escape needs four hex digits") }
        var code: UInt32 = 0
        for byte in bytes[position..<(position + 4)] {
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw failure("a \\u escape needs four hex digits")
            }
            code = code << 4 | digit
        }
        position += 4
        return code
    }
}
