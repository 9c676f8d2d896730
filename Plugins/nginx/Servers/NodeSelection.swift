import OGPluginKit

/// Picks the server block an install goes to: the one named by `--node`, or
/// the single one whose server names the certificate covers.
struct NodeSelection {
    let configuration: NginxConfiguration

    func select(_ request: InstallRequest) throws -> (id: String, server: ServerBlock) {
        let candidates = configuration.tlsServers
        guard !candidates.isEmpty else {
            throw PluginError(status: .notFound, field: "node",
                              message: "\(configuration.target.configFile) has no server block listening with ssl; "
                                  + "add one (listen 443 ssl;) before installing")
        }
        let listing = candidates.map { "\($0.id) (\($0.server.directive.location))" }.joined(separator: ", ")
        if let wanted = request.nodeID, !wanted.isEmpty {
            guard let match = candidates.first(where: { $0.id == wanted }) else {
                throw PluginError(status: .notFound, field: "node",
                                  message: "no TLS server block has id '\(wanted)'; choose one of: \(listing)")
            }
            return match
        }
        let certificateNames = Set(([request.certificate.commonName] + request.certificate.dnsNames)
            .filter { !$0.isEmpty }.map { $0.lowercased() })
        let matches = candidates.filter { candidate in
            candidate.server.names.contains { serverName in
                certificateNames.contains { Self.covers(certificateName: $0, serverName: serverName.lowercased()) }
            }
        }
        switch matches.count {
        case 1:
            return matches[0]
        case 0:
            throw PluginError(status: .notFound, field: "node",
                              message: "no TLS server block has a server_name the certificate covers "
                                  + "(\(certificateNames.sorted().joined(separator: ", "))); give --node with one of: \(listing)")
        default:
            throw PluginError(status: .conflict, field: "node",
                              message: "the certificate's names match several server blocks: "
                                  + matches.map { "\($0.id) (\($0.server.directive.location))" }.joined(separator: ", ")
                                  + "; choose one with --node")
        }
    }

    /// Exact names, and one-label wildcards on either side (`*.example.com`).
    /// Regular-expression server names are never matched: too easy to pick the wrong block.
    static func covers(certificateName: String, serverName: String) -> Bool {
        if serverName.hasPrefix("~") { return false }
        if certificateName == serverName { return true }
        if certificateName.hasPrefix("*."), let dot = serverName.firstIndex(of: ".") {
            return serverName[dot...] == certificateName.dropFirst() && !serverName[..<dot].isEmpty
                && !serverName[..<dot].contains("*")
        }
        return false
    }
}
