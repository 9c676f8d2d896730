/// The `-----BEGIN <label>-----` … `-----END <label>-----` blocks of a PEM
/// file, in file order, each with its exact text.
struct PEMBlock {
    let label: String
    let text: [UInt8]

    var isCertificate: Bool { label == "CERTIFICATE" }
    /// PKCS#8, encrypted PKCS#8, and the traditional RSA/EC/DSA forms all end in "PRIVATE KEY".
    var isPrivateKey: Bool { label.hasSuffix("PRIVATE KEY") }

    static func blocks(in contents: [UInt8]) -> [PEMBlock] {
        let lines = String(decoding: contents, as: UTF8.self).split(omittingEmptySubsequences: false) {
            $0 == "\n" || $0 == "\r\n"
        }
        var blocks: [PEMBlock] = []
        var open: (label: String, lines: [Substring])?
        for line in lines {
            let trimmed = line.trimmingSuffix { $0 == "\r" || $0 == " " || $0 == "\t" }
            if let label = boundaryLabel(trimmed, marker: "BEGIN") {
                open = (label, [trimmed])
            } else if var current = open {
                current.lines.append(trimmed)
                if boundaryLabel(trimmed, marker: "END") == current.label {
                    blocks.append(PEMBlock(label: current.label, text: Array(current.lines.joined(separator: "\n").utf8) + [10]))
                    open = nil
                } else {
                    open = current
                }
            }
        }
        return blocks
    }

    private static func boundaryLabel(_ line: Substring, marker: String) -> String? {
        let prefix = "-----\(marker) ", suffix = "-----"
        guard line.hasPrefix(prefix), line.hasSuffix(suffix), line.count > prefix.count + suffix.count else { return nil }
        return String(line.dropFirst(prefix.count).dropLast(suffix.count))
    }
}

private extension Substring {
    func trimmingSuffix(while isTrimmed: (Character) -> Bool) -> Substring {
        var result = self
        while let last = result.last, isTrimmed(last) { result = result.dropLast() }
        return result
    }
}
