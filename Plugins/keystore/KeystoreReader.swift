import OGPluginKit

/// Opens a PKCS#12 or JKS file of the endpoint through the host, which holds
/// the store password, and turns the host's failures into messages naming the
/// option to correct.
struct KeystoreReader {
    let target: KeystoreEndpoint
    let host: HostServices

    /// The entries of the keystore at the endpoint's path, which must exist
    /// and be a regular file. Every error this type throws itself names a
    /// field; errors the host already reported name none.
    func entries() throws -> [KeystoreEntryInfo] {
        guard let format = target.kind.keystoreFormat else {
            throw PluginError(status: .internal, field: "type",
                              message: "a \(target.kind.formatName) endpoint has no keystore to open")
        }
        try EndpointFiles(host: host, platform: target.platform).requireRegularFile(
            target.path, option: "path",
            missingHint: "og-host updates an existing keystore, so create it first (e.g. with keytool) or correct --path")
        let data = try host.readFile(target.path)
        guard !data.isEmpty else {
            throw PluginError(status: .parse, field: "path",
                              message: "\(target.path) is an empty file, not a \(format.name) keystore; create the "
                                  + "keystore first (e.g. with keytool) or correct --path")
        }
        do {
            return try host.readKeystore(format: format, data: data, passwordOption: KeystoreEndpoint.passwordOption)
        } catch let error as PluginError where error.status == .auth {
            throw PluginError(status: .auth, field: KeystoreEndpoint.passwordOption,
                              message: "does not open \(target.path); give the keystore's password")
        } catch let error as PluginError where error.status == .parse {
            throw PluginError(status: .parse, field: "path",
                              message: "\(target.path) is not a readable \(format.name) keystore: "
                                  + KeystoreSignature(data).advice(expecting: target.kind))
        }
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
