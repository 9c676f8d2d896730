import OGPluginKit

/// Picks the virtual host an install is for: the one `--node` names, else the
/// one whose names the certificate covers.
enum NodeSelection {
    static func choose(_ request: InstallRequest, among hosts: [TLSVirtualHost]) throws -> TLSVirtualHost {
        let listing = hosts.map { "\($0.id) (\($0.names.joined(separator: ", ")))" }.joined(separator: "; ")
        if let nodeID = request.nodeID {
            guard let host = hosts.first(where: { $0.id == nodeID }) else {
                throw PluginError(status: .notFound, field: "node",
                                  message: "no TLS virtual host has id '\(nodeID)'; choose one of: "
                                      + (listing.isEmpty ? "(none: no <VirtualHost> has SSLEngine on)" : listing))
            }
            return host
        }
        let certificateNames = Set(([request.certificate.commonName] + request.certificate.dnsNames)
            .filter { !$0.isEmpty }.map { $0.lowercased() })
        let matching = hosts.filter { host in
            host.names.contains { name in certificateNames.contains { covers($0, name.lowercased()) } }
        }
        if matching.count == 1 { return matching[0] }
        let names = certificateNames.sorted().joined(separator: ", ")
        if matching.isEmpty {
            throw PluginError(status: .notFound, field: "node",
                              message: "no TLS virtual host answers to the certificate's names (\(names)); give "
                                  + "--node with one of: " + (listing.isEmpty ? "(none)" : listing))
        }
        throw PluginError(status: .conflict, field: "node",
                          message: "the certificate's names (\(names)) match several TLS virtual hosts; give --node "
                              + "with one of: " + matching.map(\.id).joined(separator: ", "))
    }

    /// True when a certificate name covers a server name; a `*.` certificate
    /// name covers exactly one label, and a wildcard ServerAlias is covered
    /// only by the same wildcard.
    static func covers(_ certificateName: String, _ serverName: String) -> Bool {
        if certificateName == serverName { return true }
        guard certificateName.hasPrefix("*."), !serverName.contains("*") else { return false }
        let suffix = certificateName.dropFirst(1)
        guard serverName.hasSuffix(suffix) else { return false }
        let label = serverName.dropLast(suffix.count)
        return !label.isEmpty && !label.contains(".")
    }
}
