import OGPluginKit

/// The config test of a keystore endpoint, run after the host wrote the plan:
/// the file opens again and holds what an application needs. The host itself
/// then checks that the entry carries the new certificate's fingerprint.
struct WrittenFileCheck {
    let target: KeystoreEndpoint
    let host: HostServices

    func run() throws {
        do {
            switch target.kind {
            case .pkcs12, .jks: try checkKeystore()
            case .pem: try checkPEM()
            }
        } catch let error as PluginError where error.field != nil {
            // Errors the host already reported carry no field; ours become config-test failures.
            throw PluginError(status: .configTest, field: error.field, message: error.message)
        }
    }

    private func checkKeystore() throws {
        let entries = try KeystoreReader(target: target, host: host).entries()
        guard entries.contains(where: \.hasPrivateKey) else {
            throw PluginError(status: .configTest, field: "path",
                              message: "\(target.path) holds no key entry, so no application could serve a certificate from it")
        }
    }

    private func checkPEM() throws {
        let files = EndpointFiles(host: host, platform: target.platform)
        try files.requireRegularFile(target.path, option: "path", missingHint: "the install should have written it")
        let contents = try PEMCertificateReader(target: target, host: host).read()
        guard !contents.certificates.isEmpty else {
            throw PluginError(status: .configTest, field: "path", message: "\(target.path) holds no certificate")
        }
        if let keyPath = target.keyPath {
            let key = try files.requireRegularFile(keyPath, option: "key_path", missingHint: "the install should have written it")
            guard key.size > 0 else {
                throw PluginError(status: .configTest, field: "key_path", message: "\(keyPath) is empty")
            }
            if contents.privateKeyCount > 0 {
                throw PluginError(status: .configTest, field: "path",
                                  message: "\(target.path) still holds a private key although --key_path is \(keyPath); "
                                      + "remove the key from the certificate file")
            }
        } else if contents.privateKeyCount != 1 {
            throw PluginError(status: .configTest, field: "path",
                              message: "\(target.path) holds \(contents.privateKeyCount) private keys; a combined PEM "
                                  + "file needs exactly one, before the certificates")
        }
    }
}
