import OGPluginKit

/// A strict reader for Tomcat's server.xml, enough of XML 1.0 to read it
/// faithfully: elements and attributes, comments, processing instructions,
/// CDATA, a DOCTYPE without an internal subset, and the predefined and
/// numeric character references. Everything else (entity declarations,
/// external entities, malformed markup) is refused with the file and line,
/// because guessing what a configuration means could install into the wrong
/// connector.
///
/// Each attribute remembers where its value's text sits in the file, so an
/// install can replace exactly that text and leave every other byte alone.
struct XMLDocument {
    struct Attribute {
        let name: String
        /// The value with character references resolved.
        let value: String
        /// Byte range of the raw value text between the quotes.
        let valueRange: Range<Int>
        /// Byte range from the whitespace before the name to the closing quote.
        let wholeRange: Range<Int>
        /// Where the attribute's name starts.
        let nameStart: Int
        let line: Int
    }

    final class Element {
        let name: String
        let attributes: [Attribute]
        let line: Int
        /// Byte offset just past the element's start tag name, where a new attribute can go.
        let nameEnd: Int
        var children: [Element] = []

        init(name: String, attributes: [Attribute], line: Int, nameEnd: Int) {
            self.name = name
            self.attributes = attributes
            self.line = line
            self.nameEnd = nameEnd
        }

        func attribute(_ name: String) -> Attribute? {
            attributes.first { $0.name == name }
        }

        /// Tomcat matches attribute names exactly, except that the digester
        /// also accepts names in any case for some setters; server.xml files
        /// in the wild use the documented spelling, so only that one counts.
        subscript(_ name: String) -> String? { attribute(name)?.value }

        func children(named name: String) -> [Element] { children.filter { $0.name == name } }
    }

    let path: String
    let bytes: [UInt8]
    let root: Element

    init(path: String, bytes: [UInt8]) throws {
        self.path = path
        self.bytes = bytes
        var reader = Reader(path: path, bytes: bytes)
        root = try reader.document()
    }

    /// The 1-based line of a byte offset, for messages.
    func line(at offset: Int) -> Int {
        1 + bytes[..<min(offset, bytes.count)].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }
}

/// A parse failure: the file, the line and what was wrong there.
struct XMLProblem: Error {
    let path: String
    let line: Int
    let message: String

    var description: String { "\(path):\(line): \(message)" }
}

private struct Reader {
    let path: String
    let bytes: [UInt8]
    var position = 0
    var line = 1

    /// Elements nested deeper than this are refused: a server.xml nests about
    /// six deep, and the element tree is released recursively, so a hostile
    /// file nesting 100,000 deep would exhaust the stack.
    static let maximumDepth = 64
    /// Attributes on one element (Tomcat's connectors use a few dozen).
    static let maximumAttributes = 1_000

    init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        // A UTF-8 byte order mark is allowed before the declaration.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    mutating func document() throws -> XMLDocument.Element {
        var root: XMLDocument.Element?
        var stack: [XMLDocument.Element] = []
        while position < bytes.count {
            if peek("<!--") {
                try comment()
            } else if peek("<?") {
                try processingInstruction()
            } else if peek("<![CDATA[") {
                guard !stack.isEmpty else { throw problem("character data outside the root element") }
                try skip(past: "]]>", construct: "CDATA section")
            } else if peek("<!DOCTYPE") {
                guard root == nil, stack.isEmpty else { throw problem("a DOCTYPE may only come before the root element") }
                try doctype()
            } else if peek("</") {
                let startLine = line
                advance(2)
                let name = try self.name()
                skipBlanks()
                try expect(">")
                guard let open = stack.popLast() else {
                    throw XMLProblem(path: path, line: startLine, message: "</\(Excerpt.quote(name))> closes nothing")
                }
                guard open.name == name else {
                    throw XMLProblem(path: path, line: startLine,
                                     message: "</\(name)> closes <\(open.name)> opened on line \(open.line)")
                }
            } else if peek("<") {
                let (element, isEmpty) = try startTag()
                if let parent = stack.last {
                    parent.children.append(element)
                } else {
                    guard root == nil else {
                        throw XMLProblem(path: path, line: element.line,
                                         message: "a second root element <\(element.name)>; a file has exactly one")
                    }
                    root = element
                }
                if !isEmpty {
                    guard stack.count < Self.maximumDepth else {
                        throw XMLProblem(path: path, line: element.line,
                                         message: "elements are nested more than \(Self.maximumDepth) deep here; og-host "
                                             + "reads at most \(Self.maximumDepth) levels (a server.xml uses about six)")
                    }
                    stack.append(element)
                }
            } else {
                try text(insideElement: !stack.isEmpty)
            }
        }
        if let open = stack.last {
            throw XMLProblem(path: path, line: open.line, message: "<\(Excerpt.quote(open.name))> is never closed")
        }
        guard let root else { throw problem("the file holds no element; a server.xml starts with <Server>") }
        return root
    }

    // MARK: Constructs

    private mutating func comment() throws {
        let startLine = line
        advance(4)
        while position < bytes.count {
            if bytes[position] == UInt8(ascii: "-"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "-") {
                guard peek("-->") else {
                    throw XMLProblem(path: path, line: line,
                                     message: "'--' inside the comment opened on line \(startLine); XML forbids it")
                }
                advance(3)
                return
            }
            advance(1)
        }
        throw XMLProblem(path: path, line: startLine, message: "the comment opened here is never closed with -->")
    }

    private mutating func processingInstruction() throws {
        try skip(past: "?>", construct: "processing instruction")
    }

    private mutating func doctype() throws {
        let startLine = line
        advance(9)
        var quote: UInt8?
        while position < bytes.count {
            let byte = bytes[position]
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: "[") {
                throw XMLProblem(path: path, line: line,
                                 message: "the DOCTYPE declares an internal subset (entities included from other files); "
                                     + "og-host does not follow those, so it cannot tell which connectors they hold. "
                                     + "Inline the included configuration into server.xml")
            } else if byte == UInt8(ascii: ">") {
                advance(1)
                return
            }
            advance(1)
        }
        throw XMLProblem(path: path, line: startLine, message: "the DOCTYPE opened here is never closed")
    }

    private mutating func skip(past terminator: String, construct: String) throws {
        let startLine = line
        let first = terminator.utf8.first!
        while position < bytes.count {
            if bytes[position] == first, peek(terminator) {
                advance(terminator.utf8.count)
                return
            }
            advance(1)
        }
        throw XMLProblem(path: path, line: startLine, message: "the \(construct) opened here is never closed with \(terminator)")
    }

    /// Character data between tags: only blanks outside the root; inside,
    /// anything, provided its references are well formed.
    private mutating func text(insideElement: Bool) throws {
        while position < bytes.count, bytes[position] != UInt8(ascii: "<") {
            let byte = bytes[position]
            if !insideElement, !isBlank(byte) {
                throw problem("text outside the root element")
            }
            if byte == UInt8(ascii: "&") {
                _ = try reference()
            } else {
                advance(1)
            }
        }
    }

    private mutating func startTag() throws -> (XMLDocument.Element, Bool) {
        let startLine = line
        advance(1)
        let name = try self.name()
        let nameEnd = position
        var attributes: [XMLDocument.Attribute] = []
        var attributeNames: Set<String> = []
        while true {
            let blankStart = position
            let hadBlank = skipBlanks()
            guard position < bytes.count else {
                throw XMLProblem(path: path, line: startLine, message: "the start tag <\(Excerpt.quote(name)) is never closed")
            }
            if peek("/>") {
                advance(2)
                return (XMLDocument.Element(name: name, attributes: attributes, line: startLine, nameEnd: nameEnd), true)
            }
            if peek(">") {
                advance(1)
                return (XMLDocument.Element(name: name, attributes: attributes, line: startLine, nameEnd: nameEnd), false)
            }
            guard hadBlank else { throw problem("expected a space before the next attribute of <\(Excerpt.quote(name))>") }
            let attributeLine = line
            let nameStart = position
            let attributeName = try self.name()
            skipBlanks()
            try expect("=")
            skipBlanks()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
                throw problem("the value of \(Excerpt.quote(attributeName)) must be quoted with \" or '")
            }
            let quote = bytes[position]
            advance(1)
            let valueStart = position
            var value: [UInt8] = []
            while position < bytes.count, bytes[position] != quote {
                let byte = bytes[position]
                if byte == UInt8(ascii: "<") {
                    throw problem("'<' inside the value of \(Excerpt.quote(attributeName)); write &lt;")
                }
                if byte == UInt8(ascii: "&") {
                    value += try reference()
                } else {
                    // Attribute-value normalisation: line breaks and tabs read as spaces.
                    value.append(byte == 0x0A || byte == 0x0D || byte == 0x09 ? 0x20 : byte)
                    advance(1)
                }
            }
            guard position < bytes.count else {
                throw XMLProblem(path: path, line: attributeLine, message: "the value of \(Excerpt.quote(attributeName)) is never closed")
            }
            let valueEnd = position
            advance(1)
            guard attributeNames.insert(attributeName).inserted else {
                throw XMLProblem(path: path, line: attributeLine,
                                 message: "<\(Excerpt.quote(name))> has the attribute \(Excerpt.quote(attributeName)) twice; keep one")
            }
            guard attributes.count < Self.maximumAttributes else {
                throw XMLProblem(path: path, line: attributeLine,
                                 message: "<\(Excerpt.quote(name))> has more than \(Self.maximumAttributes) attributes; "
                                     + "og-host reads at most \(Self.maximumAttributes) on one element")
            }
            attributes.append(XMLDocument.Attribute(
                name: attributeName, value: String(decoding: value, as: UTF8.self), valueRange: valueStart..<valueEnd,
                wholeRange: blankStart..<position, nameStart: nameStart, line: attributeLine))
        }
    }

    /// A character or entity reference at `&`, resolved to its UTF-8 bytes.
    private mutating func reference() throws -> [UInt8] {
        let startLine = line
        advance(1)
        var body: [UInt8] = []
        while position < bytes.count, bytes[position] != UInt8(ascii: ";") {
            let byte = bytes[position]
            guard body.count < 32, !isBlank(byte), byte != UInt8(ascii: "<"), byte != UInt8(ascii: "&") else {
                throw XMLProblem(path: path, line: startLine, message: "a bare '&' that starts no reference; write &amp;")
            }
            body.append(byte)
            advance(1)
        }
        guard position < bytes.count else {
            throw XMLProblem(path: path, line: startLine, message: "a bare '&' that starts no reference; write &amp;")
        }
        advance(1)
        let name = String(decoding: body, as: UTF8.self)
        switch name {
        case "amp": return [UInt8(ascii: "&")]
        case "lt": return [UInt8(ascii: "<")]
        case "gt": return [UInt8(ascii: ">")]
        case "quot": return [UInt8(ascii: "\"")]
        case "apos": return [UInt8(ascii: "'")]
        default: break
        }
        if name.hasPrefix("#") {
            let digits = name.dropFirst()
            let scalarValue = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            guard let scalarValue, scalarValue != 0, let scalar = Unicode.Scalar(scalarValue) else {
                throw XMLProblem(path: path, line: startLine, message: "&\(Excerpt.quote(name)); is not a valid character reference")
            }
            return Array(String(Character(scalar)).utf8)
        }
        throw XMLProblem(path: path, line: startLine,
                         message: "&\(name); refers to an entity declared elsewhere; og-host reads only the five "
                             + "predefined entities and character references, so it cannot tell what this one holds")
    }

    // MARK: Lexical helpers

    private mutating func name() throws -> String {
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            let isNameByte = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: ".") || byte >= 0x80
            guard isNameByte else { break }
            advance(1)
        }
        guard position > start else { throw problem("expected a name here") }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private mutating func expect(_ text: String) throws {
        guard peek(text) else { throw problem("expected '\(text)' here") }
        advance(text.utf8.count)
    }

    @discardableResult
    private mutating func skipBlanks() -> Bool {
        let start = position
        while position < bytes.count, isBlank(bytes[position]) { advance(1) }
        return position > start
    }

    private func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    private func peek(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard position + utf8.count <= bytes.count else { return false }
        return bytes[position..<(position + utf8.count)].elementsEqual(utf8)
    }

    private mutating func advance(_ count: Int) {
        for _ in 0..<count where position < bytes.count {
            if bytes[position] == 0x0A { line += 1 }
            position += 1
        }
    }

    private func problem(_ message: String) -> XMLProblem {
        XMLProblem(path: path, line: line, message: message)
    }
}
