import OGPluginKit

/// The certificate blocks of a PEM file. Tomcat lets certificateFile hold
/// the private key too, so the plugin copies out only the certificates (with
/// the SDK's one PEM scanner) and zeroes the bytes it read.
enum PEMBlocks {
    static func certificates(consuming contents: inout [UInt8]) -> [[UInt8]] {
        let blocks = PEMBlock.scan(contents).filter { $0.label == "CERTIFICATE" }.map(\.text)
        for index in contents.indices { contents[index] = 0 }
        return blocks
    }
}
