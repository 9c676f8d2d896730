import OGPluginKit

/// Turns "install this certificate" into the file changes the host applies:
/// one keystore entry added or replaced, or the PEM file(s) rewritten. It reads
/// the endpoint to say exactly what will change, and changes nothing.
struct InstallPlanner {
    let target: KeystoreEndpoint
    let host: HostServices

    func plan(_ request: InstallRequest) throws -> InstallPlan {
        switch target.kind {
        case .pkcs12, .jks: return try keystorePlan(request)
        case .pem: return try pemPlan(request)
        }
    }

    /// The entry an install writes: the install's alias, else the node it
    /// names (a node of a keystore is an entry), else the endpoint's --alias.
    /// JKS aliases are lowercase, as keytool and the host store them.
    static func alias(for request: InstallRequest, target: KeystoreEndpoint) throws -> String {
        let alias = try requestedAlias(request, target: target)
        return target.kind == .jks ? alias.lowercased() : alias
    }

    private static func requestedAlias(_ request: InstallRequest, target: KeystoreEndpoint) throws -> String {
        if let alias = request.alias {
            let checked = try AliasRules.checked(alias, field: "alias")
            if let nodeID = request.nodeID, !AliasRules.same(nodeID, checked) {
                throw PluginError(status: .conflict, field: "alias",
                                  message: "'\(checked)' and node '\(nodeID)' name different entries; a keystore node "
                                      + "is an entry, so give only one of them")
            }
            return checked
        }
        if let nodeID = request.nodeID { return try AliasRules.checked(nodeID, field: "node") }
        return target.alias
    }

    private func keystorePlan(_ request: InstallRequest) throws -> InstallPlan {
        guard let format = target.kind.keystoreFormat else {
            throw PluginError(status: .internal, field: "type", message: "a PEM endpoint has no keystore format")
        }
        var alias = try Self.alias(for: request, target: target)
        let entries = try KeystoreReader(target: target, host: host).entries()
        var existing = entries.first { AliasRules.same($0.alias, alias) }
        if request.alias == nil, request.nodeID != nil, existing == nil {
            let known = entries.isEmpty ? "it has no entries" : "its entries are " + entries.map { "'\($0.alias)'" }.joined(separator: ", ")
            throw PluginError(status: .notFound, field: "node",
                              message: "'\(alias)' is not an entry of \(target.path) (\(known)); choose one of them, "
                                  + "or give an alias to add a new entry")
        }
        let keyEntries = entries.filter(\.hasPrivateKey)
        if existing == nil, request.alias == nil, request.nodeID == nil, AliasRules.same(alias, KeystoreEndpoint.defaultAlias),
           target.kind != .pem, keyEntries.count == 1 {
            // Nobody named an entry and the store has exactly one key entry: that is the one its server
            // (a Tomcat connector without certificateKeyAlias, say) uses, so replace it rather than add a
            // second key entry beside it that the server would not serve.
            existing = keyEntries[0]
            alias = keyEntries[0].alias
            host.log(.info, "no alias given: replacing the store's only key entry '\(alias)'")
        }
        if let existing {
            guard existing.hasPrivateKey else {
                throw PluginError(status: .conflict, field: "alias",
                                  message: "'\(existing.alias)' in \(target.path) is a trusted certificate, not a key "
                                      + "entry; replacing it would drop a trust anchor, so give another alias")
            }
            // Keep the spelling the store already uses for this entry.
            alias = existing.alias
        }
        let certificate = describe(request)
        var summary: String
        if let current = existing?.certificate {
            summary = "replace key entry '\(alias)' (\(name(of: current))) in \(target.path) with \(certificate)"
        } else {
            summary = "add key entry '\(alias)' with \(certificate) to \(target.path)"
        }
        let others = entries.count - (existing == nil ? 0 : 1)
        summary += "; \(others) other entr\(others == 1 ? "y" : "ies") kept"
        if target.isLegacy { summary += "; legacy PKCS#12 encryption (3DES, SHA-1 MAC)" }
        return InstallPlan(
            summary: summary, nodeID: alias,
            changes: [.keystore(target.path, format: format, alias: alias, passwordOption: KeystoreEndpoint.passwordOption,
                                legacy: target.isLegacy).requiringExistingFile()])
    }

    private func pemPlan(_ request: InstallRequest) throws -> InstallPlan {
        if let nodeID = request.nodeID, !EndpointPath.same(nodeID, target.path, platform: target.platform) {
            throw PluginError(status: .notFound, field: "node",
                              message: "'\(nodeID)' is not a node of this endpoint; its only node is \(target.path)")
        }
        let files = EndpointFiles(host: host, platform: target.platform)
        try files.requireRegularFile(target.path, option: "path", missingHint: "restore it or correct --path")
        // What tls add refuses is refused here too: the file may have been
        // replaced since, and overwriting a file that is not PEM could destroy
        // something else the operator keeps at that path.
        _ = try PEMCertificateReader(target: target, host: host).read()
        let certificate = describe(request)
        guard let keyPath = target.keyPath else {
            return InstallPlan(summary: "write the private key, \(certificate) to \(target.path), replacing its contents",
                               nodeID: target.path, changes: [.keyAndFullChainPEM(target.path).requiringExistingFile()])
        }
        try files.requireWritableLocation(keyPath, option: "key_path")
        let keyExists = try host.stat(keyPath).exists
        if keyExists { try requirePrivateKeyOrBlank(keyPath) }
        let keyAction = keyExists ? "replace the private key in" : "create"
        return InstallPlan(
            summary: "write \(certificate) to \(target.path) and \(keyAction) \(keyPath)",
            nodeID: target.path,
            changes: [.fullChainPEM(target.path).requiringExistingFile(), .privateKeyPEM(keyPath)])
    }

    /// An existing key file is replaced only if it holds a PEM private key (or
    /// nothing): anything else at that path is not ours to overwrite.
    private func requirePrivateKeyOrBlank(_ keyPath: String) throws {
        var bytes = try host.readFile(keyPath)
        let pem = PEMFileContents(consuming: &bytes)
        guard pem.isBlank || pem.privateKeyCount > 0 else {
            throw PluginError(status: .parse, field: "key_path",
                              message: "\(keyPath) exists and holds no PEM private key "
                                  + "(-----BEGIN ... PRIVATE KEY-----); og-host does not overwrite it. Remove it, "
                                  + "empty it, or correct --key_path")
        }
    }

    /// "CN=www.example.com and 1 intermediate(s)", the way summaries name what is installed.
    private func describe(_ request: InstallRequest) -> String {
        "\(name(of: request.certificate)) and \(max(0, request.chainLength)) intermediate(s)"
    }

    private func name(of certificate: CertificateInfo) -> String {
        if !certificate.commonName.isEmpty { return certificate.commonName }
        if let dnsName = certificate.dnsNames.first { return dnsName }
        return certificate.subject.isEmpty ? "a certificate without a subject" : certificate.subject
    }
}
