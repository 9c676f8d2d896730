/// The server.xml edit of a PEM node: its certificate and key file
/// attributes point at the new files, the chain-file attribute goes (the new
/// certificate file carries the chain) and so does a key password (the new
/// key is not encrypted). Only those attributes' bytes change; every other
/// byte of the file, indentation and comments included, stays as it was.
struct AttributeEdit {
    private struct Splice {
        let range: Range<Int>
        let replacement: [UInt8]
    }

    let document: XMLDocument
    private var splices: [Splice] = []
    private var changed: [String] = []
    private var removed: [String] = []

    init(document: XMLDocument, settings: CertificateSettings, certificatePath: String, keyPath: String,
         current: CertificateSettings.PEM) throws {
        self.document = document
        let element = settings.element
        let names = settings.names
        guard let certificateAttribute = element.attribute(names.certificateFile) else {
            throw XMLProblem(path: document.path, line: element.line, message: "\(names.certificateFile) disappeared")
        }
        if current.certificatePath != certificatePath {
            replace(certificateAttribute, with: certificatePath)
        }
        if let keyAttribute = element.attribute(names.certificateKeyFile) {
            if current.keyPath != keyPath { replace(keyAttribute, with: keyPath) }
        } else {
            // The key used to sit in the certificate file; name the new key file right after it.
            let end = certificateAttribute.wholeRange.upperBound
            splices.append(Splice(range: end..<end,
                                  replacement: Array(" \(names.certificateKeyFile)=\"\(Self.escaped(keyPath))\"".utf8)))
            changed.append(names.certificateKeyFile)
        }
        for name in [names.certificateChainFile, names.pemKeyPassword] {
            guard let attribute = element.attribute(name) else { continue }
            splices.append(Splice(range: Self.removal(of: attribute, in: document.bytes), replacement: []))
            removed.append(name)
        }
    }

    private mutating func replace(_ attribute: XMLDocument.Attribute, with value: String) {
        splices.append(Splice(range: attribute.valueRange, replacement: Array(Self.escaped(value).utf8)))
        changed.append(attribute.name)
    }

    /// What deleting an attribute removes: with the blanks before it when it
    /// shares its line with what precedes it, else with the blanks after it,
    /// so a line that starts with it keeps its indentation and no lines merge.
    private static func removal(of attribute: XMLDocument.Attribute, in bytes: [UInt8]) -> Range<Int> {
        let leading = bytes[attribute.wholeRange.lowerBound..<attribute.nameStart]
        if !leading.contains(0x0A) { return attribute.wholeRange }
        var end = attribute.wholeRange.upperBound
        while end < bytes.count, bytes[end] == 0x20 || bytes[end] == 0x09 { end += 1 }
        return attribute.nameStart..<end
    }

    /// The whole file with the edit applied; nil when nothing changes.
    func editedDocument() -> [UInt8]? {
        guard !splices.isEmpty else { return nil }
        var bytes = document.bytes
        // From the end of the file backwards, so earlier offsets stay valid; at one offset a
        // removal goes before an insertion, which must not be deleted with it. Two removals
        // can share the blanks between them, so each stops where the later one began.
        let ordered = splices.sorted {
            $0.range.lowerBound != $1.range.lowerBound ? $0.range.lowerBound > $1.range.lowerBound : !$0.range.isEmpty
        }
        var limit = bytes.count
        for splice in ordered {
            let upper = min(splice.range.upperBound, limit)
            let lower = min(splice.range.lowerBound, upper)
            bytes.replaceSubrange(lower..<upper, with: splice.replacement)
            limit = lower
        }
        return bytes
    }

    var description: String {
        var parts: [String] = []
        if !changed.isEmpty { parts.append("set " + changed.joined(separator: ", ")) }
        if !removed.isEmpty { parts.append("remove " + removed.joined(separator: ", ")) }
        return parts.joined(separator: "; ")
    }

    /// A value safe inside either kind of quotes.
    static func escaped(_ value: String) -> String {
        var result = ""
        for character in value {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            default: result.append(character)
            }
        }
        return result
    }
}
