import COpenSSL

extension Certificate {
    /// The issuer's common name, if its name has one (how ACME's "preferred chain" names an issuer).
    public var issuerCommonName: String? { X509Name.commonName(X509_get_issuer_name(pointer)) }

    /// The keyIdentifier of the Authority Key Identifier extension, when present.
    public var authorityKeyIdentifier: [UInt8]? {
        guard let identifier = X509_get0_authority_key_id(pointer) else { return nil }
        let count = Int(ASN1_STRING_length(identifier))
        guard count > 0, let data = ASN1_STRING_get0_data(identifier) else { return nil }
        return Array(UnsafeBufferPointer(start: data, count: count))
    }

    /// The serial number as the content octets of its DER INTEGER (a leading
    /// zero where the high bit is set), as RFC 9773 certificate identifiers use it.
    public var serialDERContent: [UInt8] {
        guard let serial = X509_get0_serialNumber(pointer) else { return [0] }
        var bytes = Array(UnsafeBufferPointer(start: ASN1_STRING_get0_data(serial), count: Int(ASN1_STRING_length(serial))))
        while bytes.count > 1 && bytes[0] == 0 && bytes[1] < 0x80 { bytes.removeFirst() }
        if bytes.isEmpty { return [0] }
        if bytes[0] >= 0x80 { bytes.insert(0, at: 0) }
        return bytes
    }
}
