import COpenSSL

/// The distinguished-name fields og-host puts into a CSR subject.
public struct CertificateSubject: Sendable, Hashable {
    public var commonName: String?
    public var organization: String?
    public var organizationalUnit: String?
    public var locality: String?
    public var stateOrProvince: String?
    /// Two-letter ISO 3166 code.
    public var country: String?
    public var emailAddress: String?

    /// Leave out fields you do not need; at least one is required when a name is built.
    public init(commonName: String? = nil, organization: String? = nil, organizationalUnit: String? = nil,
                locality: String? = nil, stateOrProvince: String? = nil, country: String? = nil,
                emailAddress: String? = nil) {
        self.commonName = commonName
        self.organization = organization
        self.organizationalUnit = organizationalUnit
        self.locality = locality
        self.stateOrProvince = stateOrProvince
        self.country = country
        self.emailAddress = emailAddress
    }

    /// The fields in the order they are written into a name (most general first),
    /// with OpenSSL's short name and the upper bound X.520 / PKCS#9 sets on their length.
    var orderedFields: [(shortName: String, value: String?, maximumLength: Int)] {
        [("C", country, 2), ("ST", stateOrProvince, 128), ("L", locality, 128), ("O", organization, 64),
         ("OU", organizationalUnit, 64), ("CN", commonName, 64), ("emailAddress", emailAddress, 255)]
    }

    /// Checks every field and builds an OpenSSL X509_NAME; the caller frees it.
    func makeName() throws -> OpaquePointer {
        let present = orderedFields.filter { $0.value != nil }
        guard !present.isEmpty else {
            throw MaterialError.invalidField(field: "subject", value: "", problem: "is empty; give at least a common name (CN)")
        }
        if let country, country.count != 2 || !country.allSatisfy({ $0.isASCII && $0.isLetter && $0.isUppercase }) {
            throw MaterialError.invalidField(field: "subject.C", value: country,
                                             problem: "is not a two-letter ISO 3166 country code; use e.g. 'US' or 'DE'")
        }
        for field in present {
            let value = field.value ?? ""
            let name = "subject.\(field.shortName)"
            if value.isEmpty {
                throw MaterialError.invalidField(field: name, value: value, problem: "is empty; give a value or leave the field out")
            }
            if value.count > field.maximumLength {
                throw MaterialError.invalidField(field: name, value: value,
                                                 problem: "is \(value.count) characters long; the limit is \(field.maximumLength)")
            }
            if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
                throw MaterialError.invalidField(field: name, value: value, problem: "contains control characters; remove them")
            }
        }
        if let emailAddress, !emailAddress.allSatisfy(\.isASCII) || !emailAddress.contains("@") {
            throw MaterialError.invalidField(field: "subject.emailAddress", value: emailAddress,
                                             problem: "is not an ASCII e-mail address like 'pki@example.com'")
        }
        guard let name = X509_NAME_new() else { throw OpenSSLErrorQueue.failure("building the subject name") }
        for field in present {
            let bytes = Array((field.value ?? "").utf8)
            let added = X509_NAME_add_entry_by_txt(name, field.shortName, MBSTRING_UTF8, bytes, Int32(bytes.count), -1, 0)
            guard added == 1 else {
                X509_NAME_free(name)
                throw MaterialError.invalidField(field: "subject.\(field.shortName)", value: field.value ?? "",
                                                 problem: "was refused by OpenSSL: "
                                                     + OpenSSLErrorQueue.drain().joined(separator: "; "))
            }
        }
        return name
    }

    /// Reads the fields og-host knows from a name; others are ignored (they stay visible in the RFC 4514 string).
    init(reading name: OpaquePointer) {
        self.init()
        for index in 0..<X509_NAME_entry_count(name) {
            guard let entry = X509_NAME_get_entry(name, index),
                  let value = X509Name.utf8(X509_NAME_ENTRY_get_data(entry)) else { continue }
            switch OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry)) {
            case NID_commonName: commonName = value
            case NID_organizationName: organization = value
            case NID_organizationalUnitName: organizationalUnit = value
            case NID_localityName: locality = value
            case NID_stateOrProvinceName: stateOrProvince = value
            case NID_countryName: country = value
            case NID_pkcs9_emailAddress: emailAddress = value
            default: break
            }
        }
    }
}

/// Helpers for OpenSSL X509_NAME values owned by someone else.
enum X509Name {
    /// RFC 4514 string, most specific first: "CN=www.example.com,O=Example,C=US".
    static func rfc4514(_ name: OpaquePointer?) -> String {
        guard let name, let output = try? MemoryBIO() else { return "" }
        _ = og_X509_NAME_print_rfc4514(output.pointer, name)
        return output.text
    }

    /// The last common name in the name, as a CA would read it.
    static func commonName(_ name: OpaquePointer?) -> String? {
        guard let name else { return nil }
        var last: String?
        var index: Int32 = -1
        while true {
            index = X509_NAME_get_index_by_NID(name, NID_commonName, index)
            if index < 0 { break }
            if let entry = X509_NAME_get_entry(name, index) { last = utf8(X509_NAME_ENTRY_get_data(entry)) ?? last }
        }
        return last
    }

    static func utf8(_ string: UnsafePointer<ASN1_STRING>?) -> String? {
        guard let string else { return nil }
        var output: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&output, string)
        guard length >= 0, let output else { return nil }
        defer { og_OPENSSL_free(output) }
        return String(decoding: UnsafeBufferPointer(start: output, count: Int(length)), as: UTF8.self)
    }
}
