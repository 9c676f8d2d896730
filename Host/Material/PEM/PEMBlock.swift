/// One "-----BEGIN X-----" … "-----END X-----" block of a PEM text.
struct PEMBlock {
    /// The word(s) after BEGIN: "CERTIFICATE", "PRIVATE KEY", ...
    let label: String
    /// The whole block, including its BEGIN and END lines, ready for OpenSSL's PEM readers.
    let text: String
    /// 1-based line of the BEGIN line, for messages.
    let line: Int

    static let certificateLabels: Set<String> = ["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"]
    static let privateKeyLabels: Set<String> = ["PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY",
                                                "EC PRIVATE KEY", "DSA PRIVATE KEY"]

    var isCertificate: Bool { PEMBlock.certificateLabels.contains(label) }
    var isPrivateKey: Bool { PEMBlock.privateKeyLabels.contains(label) }

    /// Splits `text` into its PEM blocks; text between blocks is ignored, as OpenSSL does.
    /// `what` names the input in the error for an unterminated block.
    static func split(_ text: String, what: String) throws -> [PEMBlock] {
        var blocks: [PEMBlock] = []
        var open: (label: String, line: Int, lines: [Substring])?
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if var current = open {
                current.lines.append(line)
                if line.hasPrefix("-----END ") {
                    guard line == "-----END \(current.label)-----" else {
                        throw MaterialError.unreadable(what: what, reason: "line \(lineNumber): '\(line)' does not close "
                                                           + "the '\(current.label)' block begun on line \(current.line)")
                    }
                    blocks.append(PEMBlock(label: current.label, text: current.lines.joined(separator: "\n") + "\n",
                                           line: current.line))
                    open = nil
                } else {
                    open = current
                }
            } else if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----"), line.count > 16 {
                let label = String(line.dropFirst(11).dropLast(5))
                open = (label, lineNumber, [line])
            }
        }
        if let open {
            throw MaterialError.unreadable(what: what, reason: "the '\(open.label)' block begun on line \(open.line) "
                                               + "has no END line; the file may be truncated")
        }
        return blocks
    }
}
