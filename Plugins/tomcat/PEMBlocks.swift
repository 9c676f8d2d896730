/// The certificate blocks of a PEM file. Tomcat lets certificateFile hold
/// the private key too, so the plugin copies out only the certificates and
/// zeroes the bytes it read.
enum PEMBlocks {
    static func certificates(consuming contents: inout [UInt8]) -> [[UInt8]] {
        var blocks: [[UInt8]] = []
        var open: [UInt8]?
        for rawLine in contents.split(separator: 0x0A, omittingEmptySubsequences: false) {
            var line = rawLine[...]
            while let last = line.last, last == 0x0D || last == 0x20 || last == 0x09 { line = line.dropLast() }
            while let first = line.first, first == 0x20 || first == 0x09 { line = line.dropFirst() }
            if line.elementsEqual(begin) {
                open = Array(line) + [0x0A]
            } else if var block = open {
                block += line
                block.append(0x0A)
                if line.elementsEqual(end) {
                    blocks.append(block)
                    open = nil
                } else {
                    open = block
                }
            }
        }
        for index in contents.indices { contents[index] = 0 }
        return blocks
    }

    private static let begin = Array("-----BEGIN CERTIFICATE-----".utf8)
    private static let end = Array("-----END CERTIFICATE-----".utf8)
}
