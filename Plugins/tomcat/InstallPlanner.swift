import OGPluginKit

/// Turns "install this certificate" into what the host applies: the
/// connector's keystore entry replaced in place, or new PEM files plus an
/// edit of exactly the certificate attributes of the node in server.xml.
/// It reads the endpoint and changes nothing.
struct InstallPlanner {
    let target: TomcatEndpoint
    let host: HostServices

    func plan(_ request: InstallRequest) throws -> InstallPlan {
        let configuration = try ServerXMLReader(target: target, host: host).read()
        let node = try NodeChoice(nodes: configuration.nodes).choose(for: request)
        let certificate = Self.describe(request)
        switch node.certificate.source {
        case .keystore(let keystore):
            return try keystorePlan(node, keystore, configuration: configuration, certificate: certificate)
        case .pem(let pem):
            // A PEM install points the connector at new files by editing server.xml, but
            // reloadSslHostConfigs re-reads the files the running connector already names,
            // so a JMX reload would keep serving the old certificate.
            guard target.manager == nil else {
                throw PluginError(status: .invalidArgument, field: "reload_method",
                                  message: "connector \(node.id) takes PEM files, which a JMX reload does not re-point: "
                                      + "Tomcat only reads the new files on a restart; add this endpoint with "
                                      + "--reload_method restart to install into it")
            }
            return try pemPlan(node, pem, configuration: configuration, certificate: certificate)
        }
    }

    private func keystorePlan(_ node: ServerConfiguration.TLSNode, _ keystore: CertificateSettings.Keystore,
                              configuration: ServerConfiguration, certificate: String) throws -> InstallPlan {
        guard !keystore.usesPasswordFile else {
            throw PluginError(status: .notSupported, field: "node",
                              message: "node \(node.id) reads its keystore password from a file "
                                  + "(certificateKeystorePasswordFile); og-host cannot check it, so give the password "
                                  + "in certificateKeystorePassword instead")
        }
        guard let password = target.keystorePassword else {
            throw PluginError(status: .invalidArgument, field: TomcatEndpoint.keystorePasswordOption,
                              message: "node \(node.id) uses the keystore \(keystore.path), which og-host opens with "
                                  + "--keystore_password; add the endpoint again with --keystore_password")
        }
        guard password == keystore.password else {
            throw PluginError(status: .auth, field: TomcatEndpoint.keystorePasswordOption,
                              message: "is not the password server.xml configures for \(keystore.path) (node \(node.id)); "
                                  + "give the connector's keystore password")
        }
        if let keyPassword = keystore.keyPassword, keyPassword != password {
            throw PluginError(status: .notSupported, field: "node",
                              message: "node \(node.id) protects its key with a password of its own "
                                  + "(\(node.certificate.names.keyPassword)); og-host protects the installed key with "
                                  + "the store password, so remove that attribute or make it equal the store password")
        }
        let choice = KeystoreEntryChoice(keystore: keystore, host: host)
        let contents = try choice.read()
        let alias = try choice.alias(in: contents)
        let others = contents.entries.count - (contents.entries.contains { $0.alias.lowercased() == alias.lowercased() } ? 1 : 0)
        // Every host config served from this entry picks the new certificate up at the restart.
        let sharing = configuration.nodes.filter {
            guard case .keystore(let other) = $0.certificate.source, other.path == keystore.path else { return false }
            return (other.alias ?? alias).lowercased() == alias.lowercased()
        }
        return InstallPlan(
            summary: "replace entry '\(alias)' of \(keystore.path) (\(contents.format.name), \(others) other "
                + "entr\(others == 1 ? "y" : "ies") kept) with \(certificate) for \(node.id); then restart Tomcat",
            nodeID: node.id,
            changes: [.keystore(keystore.path, format: contents.format, alias: alias,
                                passwordOption: TomcatEndpoint.keystorePasswordOption).requiringExistingFile()],
            verify: sharing.map(verifyTarget))
    }

    private func pemPlan(_ node: ServerConfiguration.TLSNode, _ pem: CertificateSettings.PEM,
                         configuration: ServerConfiguration, certificate: String) throws -> InstallPlan {
        let stem = target.certificateDirectory + "/og-host-" + Self.slug(node.id)
        let certificatePath = stem + ".crt.pem"
        let keyPath = stem + ".key.pem"
        let directory = try host.stat(target.certificateDirectory + "/.")
        guard directory.type == .directory else {
            throw PluginError(status: .notFound, field: "certificate_dir",
                              message: "\(target.certificateDirectory) is not a directory on the endpoint; create it "
                                  + "or correct --certificate_dir")
        }
        let edit = try AttributeEdit(document: configuration.document, settings: node.certificate,
                                     certificatePath: certificatePath, keyPath: keyPath, current: pem)
        var changes: [FileChange] = [.fullChainPEM(certificatePath), .privateKeyPEM(keyPath)]
        var summary = "write \(certificate) to \(certificatePath) and its key to \(keyPath)"
        if let edited = edit.editedDocument() {
            changes.append(.literal(configuration.document.path, edited))
            summary += "; point \(node.id) at them in \(configuration.document.path) (\(edit.description))"
        }
        return InstallPlan(summary: summary + "; then restart Tomcat", nodeID: node.id, changes: changes,
                           verify: [verifyTarget(node)])
    }

    /// The node's listener as the gateway reaches it, with the host config's name as SNI.
    private func verifyTarget(_ node: ServerConfiguration.TLSNode) -> VerifyTarget {
        let wildcard = ["", "0.0.0.0", "::", "[::]", "*"]
        let address = wildcard.contains(node.address) ? target.reachableHost : node.address
        return VerifyTarget(host: address, port: node.port,
                            serverName: node.hostName == "_default_" ? nil : node.hostName)
    }

    /// A file-name-safe form of a node id: "8443/www.example.com" → "8443-www.example.com".
    static func slug(_ id: String) -> String {
        String(id.map { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" ? $0 : "-" })
    }

    static func describe(_ request: InstallRequest) -> String {
        let leaf = request.certificate
        let name = !leaf.commonName.isEmpty ? leaf.commonName : (leaf.dnsNames.first ?? leaf.subject)
        return "\(name) and \(max(0, request.chainLength)) intermediate(s)"
    }
}

extension KeystoreFormat {
    var name: String {
        switch self {
        case .pkcs12: return "PKCS#12"
        case .jks: return "JKS"
        }
    }
}
