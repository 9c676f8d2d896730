import OGPluginKit

/// The nodes of a keystore endpoint: one per keystore entry (its id and name
/// are the alias), or the one certificate file of a PEM endpoint.
struct NodeDiscovery {
    let target: KeystoreEndpoint
    let host: HostServices

    func nodes() throws -> [Node] {
        switch target.kind {
        case .pkcs12, .jks:
            return uniquelyIdentified(try KeystoreReader(target: target, host: host).entries().map(node))
        case .pem:
            return [try pemNode()]
        }
    }

    /// The node carries the entry's leaf (DER, from the host's keystore reader)
    /// so `tls nodes` shows what is configured; the detail repeats subject,
    /// fingerprint and expiry, and the leaf's DNS names become the node's aliases.
    private func node(for entry: KeystoreEntryInfo) -> Node {
        var detail = entry.hasPrivateKey ? "key entry, chain \(entry.chainLength)" : "trusted certificate"
        if let leaf = entry.certificate {
            let subject = leaf.commonName.isEmpty ? leaf.subject : "CN=\(leaf.commonName)"
            detail += ", \(subject), expires \(CalendarDate(secondsSinceEpoch: leaf.notAfter)), SHA-256 \(leaf.sha256Fingerprint)"
        }
        return Node(id: entry.alias, name: entry.alias,
                    aliases: (entry.certificate?.dnsNames ?? []).filter { $0 != entry.alias },
                    protocolName: "keystore", certificatePath: target.path, certificate: entry.certificateDER,
                    detail: detail)
    }

    /// Node ids must be unique and non-empty, but a PKCS#12 file may repeat a
    /// friendlyName; a repeated alias gets a numbered id, which installs cannot
    /// address, and says so.
    private func uniquelyIdentified(_ nodes: [Node]) -> [Node] {
        var seen = Set<String>()
        return nodes.enumerated().map { index, node in
            var node = node
            if node.id.isEmpty || !seen.insert(node.id.lowercased()).inserted {
                node.id = "\(node.id.isEmpty ? "unnamed" : node.id) #\(index + 1)"
                node.detail += "; its alias repeats another entry's, so an install cannot choose it"
                seen.insert(node.id.lowercased())
            }
            return node
        }
    }

    private func pemNode() throws -> Node {
        try EndpointFiles(host: host, platform: target.platform).requireRegularFile(
            target.path, option: "path", missingHint: "restore it or correct --path")
        let contents = try PEMCertificateReader(target: target, host: host).read()
        let keyPlace = target.keyPath.map { "key in \($0)" } ?? "key in the same file"
        var node = Node(id: target.path, name: target.fileName, protocolName: "keystore", certificatePath: target.path,
                        detail: "PEM file without a certificate yet, \(keyPlace)")
        guard let leaf = contents.certificates.first else { return node }
        node.name = !leaf.commonName.isEmpty ? leaf.commonName : (leaf.dnsNames.first ?? target.fileName)
        node.aliases = leaf.dnsNames.filter { $0 != node.name }
        node.certificate = contents.leafPEM
        node.detail = "PEM file, leaf and \(contents.certificates.count - 1) intermediate(s), \(keyPlace)"
        return node
    }
}
