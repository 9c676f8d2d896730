/// The one rule for "does this certificate cover that host name" (RFC 6125,
/// section 6.4), shared by every plugin so that nginx, Apache, Tomcat and
/// third-party plugins choose the same node for the same certificate. The C
/// helpers in og_plugin_util.h (`og_name_matches`, `og_certificate_covers`)
/// implement the same rule, checked against the same cases.
///
/// - ASCII case-insensitive; one trailing "." on either side is ignored.
/// - Equal names match, so a node named "*.example.com" (an nginx
///   server_name) is covered by a "*.example.com" certificate.
/// - "*." as the whole left-most label matches exactly one non-empty label,
///   and only with at least two labels after it ("*.com" covers nothing).
///   Partial wildcards ("w*.example.com") and wildcards elsewhere never match.
/// - A wildcard never covers an IP address.
public enum HostNameMatch {
    /// Whether the certificate name `pattern` covers `host`.
    public static func matches(_ pattern: String, host: String) -> Bool {
        let pattern = normalized(pattern), host = normalized(host)
        guard !pattern.isEmpty, !host.isEmpty else { return false }
        if pattern == host { return true }
        guard pattern.count >= 3, pattern.hasPrefix("*.") else { return false }
        let suffix = pattern.dropFirst() // ".example.com"
        guard !suffix.contains("*"), suffix.dropFirst().contains(".") else { return false }
        if host.contains(":") || host.allSatisfy({ $0 == "." || ("0"..."9").contains($0) }) { return false }
        guard let dot = host.firstIndex(of: "."), dot != host.startIndex else { return false }
        return host[dot...] == suffix
    }

    /// Whether `certificate` covers `host`: an iPAddress entry equal to it, or
    /// any dNSName matching it, or — only when there are no dNSNames — the
    /// common name.
    public static func covers(_ certificate: CertificateInfo, host: String) -> Bool {
        if certificate.ipAddresses.contains(host) { return true }
        if certificate.dnsNames.isEmpty { return matches(certificate.commonName, host: host) }
        return certificate.dnsNames.contains { matches($0, host: host) }
    }

    /// The nodes `certificate` covers by any of their names (name, then aliases).
    /// One result: install there. None or several: the plugin must not guess
    /// (og_plugin.h: OG_ERR_CONFLICT naming the candidates).
    public static func nodes(_ nodes: [Node], coveredBy certificate: CertificateInfo) -> [Node] {
        nodes.filter { node in ([node.name] + node.aliases).contains { covers(certificate, host: $0) } }
    }

    private static func normalized(_ name: String) -> String {
        // ASCII only, as in og_name_matches: certificates carry IDNs as A-labels.
        var ascii = String(decoding: name.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
        if ascii.hasSuffix(".") { ascii.removeLast() }
        return ascii
    }
}
