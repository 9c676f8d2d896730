/// What a file that failed to open as a keystore looks like from its first
/// bytes, so the operator learns "this is a JKS file, use type jks" instead of
/// only "damaged". Consulted only after the host refused the file.
enum KeystoreSignature {
    case jks
    case jceks
    /// DER: a PKCS#12 PFX starts with a SEQUENCE.
    case pkcs12
    case pemText
    case unknown

    init(_ data: [UInt8]) {
        let head = Array(data.prefix(4))
        if head == [0xFE, 0xED, 0xFE, 0xED] {
            self = .jks
        } else if head == [0xCE, 0xCE, 0xCE, 0xCE] {
            self = .jceks
        } else if head.first == 0x30 {
            self = .pkcs12
        } else if String(decoding: data.prefix(64), as: UTF8.self)
                    .drop(while: { $0.isWhitespace }).hasPrefix("-----BEGIN ") {
            self = .pemText
        } else {
            self = .unknown
        }
    }

    /// The rest of a "cannot be read" message: what the file seems to be and what to do.
    func advice(expecting kind: StoreKind) -> String {
        switch (self, kind) {
        case (.jks, .pkcs12):
            return "it is a JKS keystore; add it with `og-host tls add jks`"
        case (.pkcs12, .jks):
            return "it is a PKCS#12 file (keytool has created PKCS#12 by default since Java 9, whatever the file "
                + "name says); add it with `og-host tls add p12`"
        case (.jceks, _):
            return "it is a JCEKS keystore, which og-host does not write; convert it with keytool -importkeystore "
                + "-deststoretype pkcs12 and add the result as p12"
        case (.pemText, _):
            return "it is a PEM text file; add it with `og-host tls add pem`"
        default:
            return "the file is damaged, truncated or of another format; restore it from a backup or correct --path"
        }
    }
}
