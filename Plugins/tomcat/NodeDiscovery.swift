import OGPluginKit

/// The nodes of a Tomcat endpoint: one per certificate of each SSLHostConfig
/// of each TLS connector, with the certificate configured on disk.
struct NodeDiscovery {
    let target: TomcatEndpoint
    let host: HostServices

    func nodes() throws -> [Node] {
        let configuration = try ServerXMLReader(target: target, host: host).read()
        return try configuration.nodes.map { try node($0, in: configuration) }
    }

    private func node(_ tls: ServerConfiguration.TLSNode, in configuration: ServerConfiguration) throws -> Node {
        // An unnamed host config answers clients without SNI; Java refuses "_default_" as a server name,
        // so the node has no name and the host handshakes without SNI.
        var node = Node(id: tls.id, name: tls.hostName == "_default_" ? "" : tls.hostName, protocolName: "https",
                        address: tls.address.isEmpty ? (target.reachableHost == "127.0.0.1" ? "127.0.0.1" : "*") : tls.address,
                        port: tls.port, certificatePath: tls.certificate.certificateFile)
        var detail = "\(configuration.document.path):\(tls.line), service \(tls.serviceName)"
        if tls.isDefaultHostConfig { detail += ", default host config" }
        switch tls.certificate.source {
        case .pem(let pem):
            detail += ", PEM \(pem.certificatePath), key \(pem.keyPath ?? "in the same file")"
            if var bytes = try? host.readFile(pem.certificatePath) {
                node.certificate = PEMBlocks.certificates(consuming: &bytes).first ?? []
            } else {
                detail += " (certificate file unreadable)"
            }
        case .keystore(let keystore):
            detail += ", keystore \(keystore.path)" + (keystore.alias.map { " alias \($0)" } ?? "")
            let summary = try keystoreSummary(keystore)
            detail += summary.text
            // The host compares this with what is served; without it the comparison is unknown.
            if let fingerprint = summary.fingerprint { node.configuredSHA256 = fingerprint }
        }
        node.detail = detail
        return node
    }

    /// The entry's certificate as the host reads it, when --keystore_password opens the store;
    /// the host does not hand out keystore certificate bytes, so this goes into the detail.
    private func keystoreSummary(_ keystore: CertificateSettings.Keystore) throws -> (text: String, fingerprint: String?) {
        guard let password = target.keystorePassword, password == keystore.password, !keystore.usesPasswordFile else {
            return (" (not opened: --keystore_password is not this keystore's password)", nil)
        }
        guard let entry = try? KeystoreEntryChoice(keystore: keystore, host: host).currentEntry(),
              let leaf = entry.certificate else {
            return (" (no readable key entry)", nil)
        }
        let subject = leaf.commonName.isEmpty ? leaf.subject : "CN=\(leaf.commonName)"
        return (", entry \(entry.alias): \(subject), SHA-256 \(leaf.sha256Fingerprint)", leaf.sha256Fingerprint)
    }
}
