import OGPluginKit

/// A `listen` directive of a server block: where it listens and whether with TLS.
struct ListenAddress: Equatable {
    /// `0.0.0.0` for `*` or a bare port, `::` for `[::]`, otherwise as written (IPv6 without brackets).
    var address: String
    var port: Int
    var isSSL: Bool
    var isDefaultServer: Bool
    var isIPv6: Bool

    /// Nil for a unix-domain socket, which no TLS client outside the host reaches.
    static func parse(_ directive: ConfigDirective) throws -> ListenAddress? {
        guard let first = directive.arguments.first?.text, !first.isEmpty else {
            throw PluginError(status: .parse, field: "nginx_config_path",
                              message: "\(directive.location): listen has no address; give e.g. listen 443 ssl;")
        }
        if first.hasPrefix("unix:") { return nil }
        let parameters = directive.arguments.dropFirst().map(\.text)
        let isSSL = parameters.contains("ssl")
        let isDefault = parameters.contains("default_server") || parameters.contains("default")
        func invalid() -> PluginError {
            PluginError(status: .parse, field: "nginx_config_path",
                        message: "\(directive.location): cannot read the listen address \"\(first)\"; "
                            + "expected PORT, ADDRESS:PORT, *:PORT or [IPv6]:PORT")
        }
        func port(_ text: Substring) throws -> Int {
            guard let value = Int(text), (1...65535).contains(value) else { throw invalid() }
            return value
        }
        if first.hasPrefix("[") {
            guard let close = first.firstIndex(of: "]") else { throw invalid() }
            let host = String(first[first.index(after: first.startIndex)..<close])
            let rest = first[first.index(after: close)...]
            let number: Int
            if rest.isEmpty { number = 80 } else {
                guard rest.hasPrefix(":") else { throw invalid() }
                number = try port(rest.dropFirst())
            }
            return ListenAddress(address: host, port: number, isSSL: isSSL, isDefaultServer: isDefault, isIPv6: true)
        }
        if first.allSatisfy(\.isNumber) {
            return ListenAddress(address: "0.0.0.0", port: try port(Substring(first)), isSSL: isSSL,
                                 isDefaultServer: isDefault, isIPv6: false)
        }
        if let colon = first.lastIndex(of: ":") {
            let host = String(first[..<colon])
            guard !host.isEmpty, !host.contains(":") else { throw invalid() }
            return ListenAddress(address: host == "*" ? "0.0.0.0" : host, port: try port(first[first.index(after: colon)...]),
                                 isSSL: isSSL, isDefaultServer: isDefault, isIPv6: false)
        }
        guard !first.contains("$") else { throw invalid() }
        return ListenAddress(address: first == "*" ? "0.0.0.0" : first, port: 80, isSSL: isSSL,
                             isDefaultServer: isDefault, isIPv6: false)
    }

    var displayText: String { isIPv6 ? "[\(address)]:\(port)" : "\(address):\(port)" }
}
