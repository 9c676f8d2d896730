import OGPluginKit

/// One `server` block of the `http` context, with what discovery and
/// installs need to know about it.
struct ServerBlock {
    let directive: ConfigDirective
    let listens: [ListenAddress]
    let names: [String]
    /// The server's own `ssl_certificate` / `ssl_certificate_key` directives.
    let certificateDirectives: [ConfigDirective]
    let keyDirectives: [ConfigDirective]
    /// Those it inherits from `http` when it has none of its own.
    let inheritedCertificates: [ConfigDirective]
    let inheritedKeys: [ConfigDirective]

    /// The listeners that speak TLS: those marked `ssl`, or all with the old `ssl on;`.
    var tlsListens: [ListenAddress] {
        let sslOn = directive.childrenNamed("ssl").contains { $0.arguments.first?.text == "on" }
        return sslOn ? listens : listens.filter(\.isSSL)
    }

    var isTLS: Bool { !tlsListens.isEmpty }

    var effectiveCertificates: [ConfigDirective] { certificateDirectives.isEmpty ? inheritedCertificates : certificateDirectives }
    var effectiveKeys: [ConfigDirective] { keyDirectives.isEmpty ? inheritedKeys : keyDirectives }

    var primaryName: String { names.first ?? "" }

    /// Every `server` block inside `http`, in configuration order.
    static func all(in configuration: [ConfigDirective]) throws -> [ServerBlock] {
        let http = configuration.filter { $0.name == "http" && $0.children != nil }
        var servers: [ServerBlock] = []
        for context in http {
            let inheritedCertificates = context.childrenNamed("ssl_certificate")
            let inheritedKeys = context.childrenNamed("ssl_certificate_key")
            for server in context.childrenNamed("server") where server.children != nil {
                servers.append(try ServerBlock(server, inheritedCertificates: inheritedCertificates, inheritedKeys: inheritedKeys))
            }
        }
        return servers
    }

    init(_ directive: ConfigDirective, inheritedCertificates: [ConfigDirective], inheritedKeys: [ConfigDirective]) throws {
        self.directive = directive
        var listens = try directive.childrenNamed("listen").compactMap(ListenAddress.parse)
        if directive.childrenNamed("listen").isEmpty {
            // Without a listen directive nginx serves plain HTTP on *:80.
            listens = [ListenAddress(address: "0.0.0.0", port: 80, isSSL: false, isDefaultServer: false, isIPv6: false)]
        }
        self.listens = listens
        names = directive.childrenNamed("server_name").flatMap { $0.arguments.map(\.text) }
        certificateDirectives = directive.childrenNamed("ssl_certificate")
        keyDirectives = directive.childrenNamed("ssl_certificate_key")
        self.inheritedCertificates = inheritedCertificates
        self.inheritedKeys = inheritedKeys
        for path in certificateDirectives + keyDirectives where path.arguments.count != 1 {
            throw PluginError(status: .parse, field: "nginx_config_path",
                              message: "\(path.location): \(path.name) takes exactly one file; found \(path.arguments.count) arguments")
        }
    }
}
