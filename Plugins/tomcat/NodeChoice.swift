import OGPluginKit

/// Which node an install goes to: the one the operator named, else the one
/// whose host name the certificate covers. Anything but exactly one match is
/// refused with the candidates listed, never guessed.
struct NodeChoice {
    let nodes: [ServerConfiguration.TLSNode]

    func choose(for request: InstallRequest) throws -> ServerConfiguration.TLSNode {
        guard !nodes.isEmpty else {
            throw PluginError(status: .notFound, field: "node",
                              message: "server.xml has no TLS connector (SSLEnabled=\"true\"); add one before installing")
        }
        if let id = request.nodeID {
            guard let node = nodes.first(where: { $0.id == id }) else {
                throw PluginError(status: .notFound, field: "node",
                                  message: "'\(id)' is not a node of this endpoint; its nodes are \(listing(nodes))")
            }
            return node
        }
        let names = Set(([request.certificate.commonName] + request.certificate.dnsNames)
            .filter { !$0.isEmpty }.map { $0.lowercased() })
        var matches = nodes.filter { node in
            node.hostName != "_default_" && names.contains { Self.covers($0, node.hostName) || Self.covers(node.hostName, $0) }
        }
        if matches.count > 1, Set(matches.map(\.port)).count == 1, Set(matches.map(\.hostName)).count == 1 {
            // One host config with an RSA and an EC certificate: the key type decides.
            let keyType = request.certificate.keyAlgorithm.uppercased().hasPrefix("EC") ? "EC" : "RSA"
            matches = matches.filter { $0.certificate.keyType == keyType }
        }
        switch matches.count {
        case 1:
            return matches[0]
        case 0:
            throw PluginError(status: .notFound, field: "node",
                              message: "no host config's hostName matches the certificate's names ("
                                  + names.sorted().joined(separator: ", ") + "); choose one with --node: \(listing(nodes))")
        default:
            throw PluginError(status: .conflict, field: "node",
                              message: "the certificate's names match several nodes (\(listing(matches))); choose one with --node")
        }
    }

    /// `pattern` (possibly "*.example.com") covers `name`.
    static func covers(_ pattern: String, _ name: String) -> Bool {
        if pattern == name { return true }
        guard pattern.hasPrefix("*."), let dot = name.firstIndex(of: ".") else { return false }
        return name[dot...] == pattern.dropFirst()
    }

    private func listing(_ nodes: [ServerConfiguration.TLSNode]) -> String {
        nodes.map(\.id).joined(separator: ", ")
    }
}
