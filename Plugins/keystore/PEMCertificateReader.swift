import OGPluginKit

/// Reads the certificate file of a PEM endpoint: its certificate blocks as
/// the host parses them, and how many private keys it holds.
struct PEMCertificateReader {
    let target: KeystoreEndpoint
    let host: HostServices

    struct Contents {
        /// Leaf first, then the chain, as the file orders them.
        var certificates: [CertificateInfo]
        /// The leaf's PEM block, for node discovery; empty when there is none.
        var leafPEM: [UInt8]
        var privateKeyCount: Int
        var isBlank: Bool
    }

    /// The file at the endpoint's path, which the caller has checked is a regular file.
    func read() throws -> Contents {
        var bytes = try host.readFile(target.path)
        let pem = PEMFileContents(consuming: &bytes)
        var contents = Contents(certificates: [], leafPEM: pem.certificateBlocks.first ?? [],
                                privateKeyCount: pem.privateKeyCount, isBlank: pem.isBlank)
        if pem.isBlank { return contents }
        guard !pem.certificateBlocks.isEmpty else {
            let holds = pem.privateKeyCount > 0 ? "holds a private key but no certificate" : "holds no PEM certificate"
            throw PluginError(status: .parse, field: "path",
                              message: "\(target.path) \(holds) (-----BEGIN CERTIFICATE-----); give a PEM file with "
                                  + "the certificate and its chain, or an empty file")
        }
        do {
            contents.certificates = try host.readCertificates(pem.certificatesPEM)
        } catch let error as PluginError where error.status == .parse {
            throw PluginError(status: .parse, field: "path",
                              message: "\(target.path) holds a certificate block that cannot be parsed; repair the "
                                  + "file, empty it, or correct --path")
        }
        return contents
    }
}
