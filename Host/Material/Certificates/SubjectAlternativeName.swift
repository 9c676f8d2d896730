import Foundation

/// One subjectAltName entry of the kinds TLS servers are named by.
public enum SubjectAlternativeName: Sendable, Hashable, CustomStringConvertible {
    case dns(String)
    /// An IPv4 or IPv6 address in text form.
    case ipAddress(String)

    /// Parses "DNS:www.example.com", "IP:192.0.2.1", or a bare value (an address
    /// if it reads as one, otherwise a DNS name). The result is validated.
    public init(parsing text: String, field: String = "subjectAltName") throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let lowered = trimmed.lowercased()
        if lowered.hasPrefix("dns:") {
            self = .dns(String(trimmed.dropFirst(4)))
        } else if lowered.hasPrefix("ip:") {
            self = .ipAddress(String(trimmed.dropFirst(3)))
        } else if IPAddressText.bytes(of: trimmed) != nil {
            self = .ipAddress(trimmed)
        } else {
            self = .dns(trimmed)
        }
        self = try validated(field: field)
    }

    public var description: String {
        switch self {
        case .dns(let name): return "DNS:\(name)"
        case .ipAddress(let address): return "IP:\(address)"
        }
    }

    /// The entry with DNS names lowercased and addresses in canonical form, or an
    /// error naming `field` that says what is wrong with it.
    public func validated(field: String) throws -> SubjectAlternativeName {
        switch self {
        case .dns(let name):
            if let problem = DNSNameRules.problem(with: name) {
                throw MaterialError.invalidField(field: field, value: name, problem: "is not a valid DNS name: \(problem)")
            }
            return .dns(name.lowercased())
        case .ipAddress(let address):
            guard let bytes = IPAddressText.bytes(of: address) else {
                let hint = address.hasPrefix("[") ? "; remove the brackets" : "; write it like 192.0.2.10 or 2001:db8::1"
                throw MaterialError.invalidField(field: field, value: address,
                                                 problem: "is not a valid IPv4 or IPv6 address" + hint)
            }
            return .ipAddress(IPAddressText.text(of: bytes) ?? address)
        }
    }
}

/// What makes a name acceptable as a DNS SAN (RFC 1035 / 5280 preferred name
/// syntax, with the wildcard form CAs accept).
enum DNSNameRules {
    static func problem(with name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if !name.allSatisfy(\.isASCII) { return "it contains non-ASCII characters; use its punycode (xn--) form" }
        if name.hasSuffix(".") { return "it ends with a dot; remove the trailing dot" }
        if name.utf8.count > 253 { return "it is longer than 253 characters" }
        if IPAddressText.bytes(of: name) != nil { return "it is an IP address; give it as an IP SAN (IP:\(name))" }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for (index, label) in labels.enumerated() {
            if label.isEmpty { return "it has an empty label (a leading dot or two dots in a row)" }
            if label.utf8.count > 63 { return "label '\(label)' is longer than 63 characters" }
            if label.contains("*") {
                guard index == 0, label == "*" else {
                    return "a wildcard must be the whole leftmost label, as in '*.example.com'"
                }
                guard labels.count >= 3 else { return "a wildcard must stand under a domain, as in '*.example.com'" }
                continue
            }
            if let bad = label.first(where: { !($0.isLetter || $0.isNumber || $0 == "-") }) {
                return "label '\(label)' contains '\(bad)'; use only letters, digits and hyphens"
            }
            if label.hasPrefix("-") || label.hasSuffix("-") {
                return "label '\(label)' starts or ends with a hyphen"
            }
        }
        return nil
    }
}

/// IPv4/IPv6 text to and from network-order bytes, using the C library's strict parser.
enum IPAddressText {
    static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    static func text(of bytes: [UInt8]) -> String? {
        let family: Int32
        switch bytes.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        var output = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let converted = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &output, socklen_t(output.count)) }
        guard converted != nil else { return nil }
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
