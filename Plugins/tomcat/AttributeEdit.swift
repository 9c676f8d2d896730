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
            splices.append(Splice(range: attribute.wholeRange, replacement: []))
            removed.append(name)
        }
    }

    private mutating func replace(_ attribute: XMLDocument.Attribute, with value: String) {
        splices.append(Splice(range: attribute.valueRange, replacement: Array(Self.escaped(value).utf8)))
        changed.append(attribute.name)
    }

    /// The whole file with the edit applied; nil when nothing changes.
    func editedDocument() -> [UInt8]? {
        guard !splices.isEmpty else { return nil }
        var bytes = document.bytes
        for splice in splices.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            bytes.replaceSubrange(splice.range, with: splice.replacement)
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
