/// A directive as written: where it is, its name as spelled, its arguments
/// with `${VAR}` references resolved.
struct DirectiveSite {
    let line: LogicalLine
    let name: String
    let arguments: [String]
}

/// One address of a `<VirtualHost>`: `*:443`, `127.0.0.1:8443`, `[::1]:8443`, `_default_:443`.
struct VirtualHostAddress: Hashable {
    /// Without brackets for IPv6; `*` for wildcards and `_default_`.
    let host: String
    let port: Int?

    var isWildcard: Bool { host == "*" || host == "0.0.0.0" || host == "::" }
    var text: String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return port.map { "\(shown):\($0)" } ?? shown
    }
}

/// A `<VirtualHost>` section with what the plugin needs from it.
struct VirtualHostBlock {
    let opening: LogicalLine
    let closing: LogicalLine
    let addresses: [VirtualHostAddress]
    var serverName: String?
    var aliases: [String] = []
    var sslEngine: DirectiveSite?
    var certificateFiles: [DirectiveSite] = []
    var keyFiles: [DirectiveSite] = []
    var chainFiles: [DirectiveSite] = []

    init(opening: LogicalLine, closing: LogicalLine, addresses: [VirtualHostAddress]) {
        self.opening = opening
        self.closing = closing
        self.addresses = addresses
    }

    var isTLS: Bool { sslEngine?.arguments.first?.lowercased() == "on" }
}

/// Everything discovery and planning need from a whole configuration.
struct ApacheConfiguration {
    let serverRoot: String
    let virtualHosts: [VirtualHostBlock]
    let mainServerName: String?
    /// The bytes of every file read, by absolute path, for planning edits.
    let files: [String: [UInt8]]
}
