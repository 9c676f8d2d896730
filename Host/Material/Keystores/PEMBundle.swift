/// A private key with its certificate and chain as PEM text: the format nginx,
/// Apache and HAProxy read.
public struct PEMBundle: Sendable {
    public var privateKey: PrivateKey?
    /// The leaf first, then its issuers.
    public var certificates: [Certificate]

    /// `certificates` leaf first.
    public init(privateKey: PrivateKey?, certificates: [Certificate]) {
        self.privateKey = privateKey
        self.certificates = certificates
    }

    /// The certificate the key belongs to.
    public var leaf: Certificate? { certificates.first }
    /// The certificates after the leaf.
    public var chain: [Certificate] { Array(certificates.dropFirst()) }

    /// Reads a PEM text holding at most one private key and any number of
    /// certificates, in any order. When a key is present the certificate that
    /// matches it becomes the leaf; the others keep their order.
    public static func decode(_ bytes: [UInt8], passphrase: [UInt8]? = nil, what: String = "PEM bundle") throws -> PEMBundle {
        let blocks = try PEMBlock.split(String(decoding: bytes, as: UTF8.self), what: what)
        var key: PrivateKey?
        var certificates: [Certificate] = []
        for block in blocks {
            if block.isPrivateKey {
                guard key == nil else {
                    throw MaterialError.unreadable(what: what, reason: "it holds a second private key (line \(block.line)); "
                                                       + "keep one key per bundle")
                }
                key = try PrivateKey(pem: block.text, passphrase: passphrase, what: "\(what): private key (line \(block.line))")
            } else if block.isCertificate {
                certificates.append(try Certificate(block: block, what: "\(what): certificate (line \(block.line))"))
            } else if block.label != "EC PARAMETERS" {
                throw MaterialError.unreadable(what: what, reason: "line \(block.line): a '\(block.label)' block is neither "
                                                   + "a private key nor a certificate; remove it")
            }
        }
        guard key != nil || !certificates.isEmpty else {
            throw MaterialError.unreadable(what: what, reason: "it holds no PEM private key or certificate")
        }
        if let key, !certificates.isEmpty {
            guard let leafIndex = certificates.firstIndex(where: { $0.matches(privateKey: key) }) else {
                throw MaterialError.keyMismatch(certificateSubject: certificates[0].subject)
            }
            certificates.insert(certificates.remove(at: leafIndex), at: 0)
        }
        return PEMBundle(privateKey: key, certificates: certificates)
    }

    /// The key (unencrypted PKCS#8, or encrypted with `keyPassphrase`), then the
    /// leaf, then the chain.
    public func encode(keyPassphrase: [UInt8]? = nil) throws -> String {
        var text = ""
        if let privateKey {
            text += try keyPassphrase.map { try privateKey.pkcs8PEM(encryptedWith: $0) } ?? privateKey.pkcs8PEM()
        }
        for certificate in certificates { text += certificate.pem }
        return text
    }
}
