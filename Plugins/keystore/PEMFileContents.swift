/// The certificate blocks of a PEM file, and how many private keys sit beside
/// them, read straight from the bytes.
///
/// A combined PEM file holds its private key. The plugin has to read the file
/// to find the certificates, but it copies out only the certificate blocks and
/// then overwrites the bytes it was given, so the key does not linger in the
/// plugin's memory.
struct PEMFileContents {
    /// Each `-----BEGIN CERTIFICATE-----` … `-----END CERTIFICATE-----` block, in file order, newline-terminated.
    private(set) var certificateBlocks: [[UInt8]] = []
    /// Blocks whose label ends in "PRIVATE KEY" (PKCS#8, encrypted PKCS#8, RSA, EC, ...).
    private(set) var privateKeyCount = 0
    /// Nothing but whitespace.
    private(set) var isBlank = true

    /// Scans `contents`, then overwrites it with zeros.
    init(consuming contents: inout [UInt8]) {
        // Scanning through a buffer pointer keeps no second reference to the
        // array, so the zeroing below clears the one copy instead of a fresh one.
        contents.withUnsafeBufferPointer { buffer in
            var openCertificate: [UInt8]?
            for rawLine in buffer.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                let line = Self.trimmed(rawLine)
                if !line.isEmpty { isBlank = false }
                if line.elementsEqual(Self.beginCertificate) {
                    openCertificate = Array(line) + [UInt8(ascii: "\n")]
                } else if var block = openCertificate {
                    block += line
                    block.append(UInt8(ascii: "\n"))
                    if line.elementsEqual(Self.endCertificate) {
                        certificateBlocks.append(block)
                        openCertificate = nil
                    } else {
                        openCertificate = block
                    }
                } else if line.starts(with: Self.begin) && line.reversed().starts(with: Self.privateKeySuffix.reversed()) {
                    privateKeyCount += 1
                }
            }
        }
        contents.withUnsafeMutableBufferPointer { bytes in
            for index in bytes.indices { bytes[index] = 0 }
        }
    }

    /// All certificate blocks as one PEM text, as `read_certificates` takes it.
    var certificatesPEM: [UInt8] { certificateBlocks.flatMap { $0 } }

    private static let begin = Array("-----BEGIN ".utf8)
    private static let beginCertificate = Array("-----BEGIN CERTIFICATE-----".utf8)
    private static let endCertificate = Array("-----END CERTIFICATE-----".utf8)
    private static let privateKeySuffix = Array("PRIVATE KEY-----".utf8)

    /// The line without a trailing CR (CRLF files) or surrounding blanks.
    private static func trimmed(_ line: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
        var result = line
        while let last = result.last, isBlank(last) { result = result.dropLast() }
        while let first = result.first, isBlank(first) { result = result.dropFirst() }
        return result
    }
}
