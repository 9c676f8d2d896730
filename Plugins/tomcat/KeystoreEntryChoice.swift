import OGPluginKit

/// Which entry of a connector's keystore holds its certificate, decided the
/// way Tomcat decides: the configured alias, else the store's first key
/// entry. og-host refuses to guess between several key entries.
struct KeystoreEntryChoice {
    let keystore: CertificateSettings.Keystore
    let host: HostServices

    struct Contents {
        let format: KeystoreFormat
        let entries: [KeystoreEntryInfo]
    }

    /// The store's format from its first bytes (Java opens either whatever the
    /// configured type says), or from the configured type for a missing file.
    func read() throws -> Contents {
        let bytes: [UInt8]
        do {
            bytes = try host.readFile(keystore.path)
        } catch let error as PluginError where error.status == .notFound {
            throw PluginError(status: .notFound, field: "tomcat_base",
                              message: "the keystore \(keystore.path) named in server.xml does not exist; create it or "
                                  + "correct the connector's keystore file attribute")
        }
        let format: KeystoreFormat
        if bytes.starts(with: [0xFE, 0xED, 0xFE, 0xED]) {
            format = .jks
        } else if bytes.first == 0x30 {
            format = .pkcs12
        } else {
            throw PluginError(status: .parse, field: "tomcat_base",
                              message: "\(keystore.path) is neither a JKS nor a PKCS#12 keystore (type "
                                  + "\(keystore.type ?? "unset") in server.xml); og-host writes only those two")
        }
        let entries = try host.readKeystore(format: format, data: bytes, passwordOption: TomcatEndpoint.keystorePasswordOption)
        return Contents(format: format, entries: entries)
    }

    /// The alias an install replaces.
    func alias(in contents: Contents) throws -> String {
        if let configured = keystore.alias {
            if let existing = contents.entries.first(where: { $0.alias.lowercased() == configured.lowercased() }) {
                guard existing.hasPrivateKey else {
                    throw PluginError(status: .conflict, field: "node",
                                      message: "entry '\(existing.alias)' of \(keystore.path) is a trusted certificate, "
                                          + "not a key entry; correct the connector's key alias in server.xml")
                }
                return existing.alias
            }
            return contents.format == .jks ? configured.lowercased() : configured
        }
        let keyEntries = contents.entries.filter(\.hasPrivateKey)
        switch keyEntries.count {
        case 0: return "tomcat"
        case 1: return keyEntries[0].alias
        default:
            throw PluginError(status: .conflict, field: "node",
                              message: "\(keystore.path) holds \(keyEntries.count) key entries ("
                                  + keyEntries.map { "'\($0.alias)'" }.joined(separator: ", ")
                                  + ") and server.xml names no key alias, so which one Tomcat serves depends on the "
                                  + "store's order; set certificateKeyAlias on the connector's <Certificate>")
        }
    }

    func currentEntry() throws -> KeystoreEntryInfo? {
        let contents = try read()
        let alias = try alias(in: contents)
        return contents.entries.first { $0.alias.lowercased() == alias.lowercased() }
    }
}
