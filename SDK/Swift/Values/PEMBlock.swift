/// One `-----BEGIN X-----` … `-----END X-----` block of a PEM text (RFC 7468).
///
/// Plugins meet PEM in endpoint files: a Tomcat certificateFile, a combined
/// PEM that also holds a key. One scanner, shared, so every plugin accepts the
/// same spellings (CRLF, surrounding blanks, text between blocks) and refuses
/// the same damage. It only finds blocks; it does not decode them. A plugin
/// that needs only the certificates of a file that may hold a key should ask
/// the host for them (`HostServices.readCertificates(atPath:)`), so key bytes
/// never enter the plugin at all.
public struct PEMBlock: Sendable, Equatable {
    /// The label between BEGIN and the dashes: "CERTIFICATE", "PRIVATE KEY", ...
    public let label: String
    /// The block as written, armour lines included, each line ending in "\n".
    public let text: [UInt8]

    /// Every complete block in `bytes`, in order. A BEGIN without its END, or an END
    /// whose label differs from its BEGIN, ends that block without a result.
    public static func scan(_ bytes: [UInt8]) -> [PEMBlock] {
        var blocks: [PEMBlock] = []
        var open: (label: String, text: [UInt8])?
        for rawLine in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            var line = rawLine[...]
            while let last = line.last, last == 0x0D || last == 0x20 || last == 0x09 { line = line.dropLast() }
            while let first = line.first, first == 0x20 || first == 0x09 { line = line.dropFirst() }
            if let label = armourLabel(line, prefix: beginPrefix) {
                open = (label, Array(line) + [0x0A])
            } else if let label = armourLabel(line, prefix: endPrefix) {
                if let current = open, current.label == label {
                    blocks.append(PEMBlock(label: label, text: current.text + Array(line) + [0x0A]))
                }
                open = nil
            } else if open != nil {
                open!.text += line
                open!.text.append(0x0A)
            }
        }
        return blocks
    }

    /// The blocks labelled CERTIFICATE (also the legacy "X509 CERTIFICATE" and "TRUSTED CERTIFICATE").
    public static func certificates(in bytes: [UInt8]) -> [PEMBlock] {
        scan(bytes).filter { ["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"].contains($0.label) }
    }

    private static let beginPrefix = Array("-----BEGIN ".utf8)
    private static let endPrefix = Array("-----END ".utf8)
    private static let dashes = Array("-----".utf8)

    private static func armourLabel(_ line: ArraySlice<UInt8>, prefix: [UInt8]) -> String? {
        guard line.count > prefix.count + dashes.count, line.starts(with: prefix), line.suffix(dashes.count).elementsEqual(dashes) else {
            return nil
        }
        let label = line.dropFirst(prefix.count).dropLast(dashes.count)
        // RFC 7468 labels: printable ASCII without '-' at either end.
        guard label.allSatisfy({ (0x20...0x7E).contains($0) }), label.first != 0x2D, label.last != 0x2D else { return nil }
        return String(decoding: label, as: UTF8.self)
    }
}
