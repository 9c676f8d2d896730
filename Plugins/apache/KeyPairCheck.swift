import OGPluginKit

/// Before any graceful restart: every TLS virtual host's key must belong to
/// its certificate. `apachectl -t` does not look, and a graceful restart with
/// a mismatched pair stops the whole server. The files are compared with the
/// endpoint's openssl, given by path, so no key byte leaves the endpoint.
struct KeyPairCheck {
    let host: HostServices

    /// `provedOnTheGateway` is the pair the install being tested wrote, whose match the host
    /// proved before planning (`HostWrittenPairs`): not run through openssl again.
    func run(_ hosts: [TLSVirtualHost], provedOnTheGateway: HostWrittenPairs.Pair? = nil) throws {
        var checked: Set<[String]> = []
        if let proved = provedOnTheGateway { checked.insert([proved.certificatePath, proved.keyPath]) }
        for virtualHost in hosts {
            guard let certificate = virtualHost.certificateFile?.arguments.first, let key = virtualHost.keyPath else {
                throw PluginError(status: .configTest, field: nil,
                                  message: "\(virtualHost.id) (\(virtualHost.block.opening.location)) has SSLEngine on "
                                      + "but no SSLCertificateFile; httpd would not start with it")
            }
            guard checked.insert([certificate, key]).inserted else { continue }
            let fromCertificate = try publicKey(["x509", "-noout", "-pubkey", "-in", certificate], file: certificate,
                                                of: virtualHost)
            let fromKey = try publicKey(["pkey", "-pubout", "-passin", "pass:", "-in", key], file: key, of: virtualHost)
            guard fromCertificate == fromKey else {
                throw PluginError(status: .configTest, field: nil,
                                  message: "\(virtualHost.id): the private key \(key) does not belong to the "
                                      + "certificate \(certificate) (\(virtualHost.block.opening.location)); a graceful "
                                      + "restart would stop httpd, so none was attempted. Fix that pair first")
            }
        }
    }

    private func publicKey(_ arguments: [String], file: String, of virtualHost: TLSVirtualHost) throws -> String {
        let result: CommandResult
        do {
            // An empty SSL_CERT_FILE: `openssl x509` would otherwise parse the whole default CA bundle
            // (about 190 M instructions) for a public key it reads from the file alone.
            result = try host.run(["env", "SSL_CERT_FILE=/dev/null", "openssl"] + arguments, timeout: .seconds(60), privileged: true)
        } catch let error as PluginError where error.status == .notFound {
            throw Self.opensslMissing
        }
        if result.exitStatus == 127 { throw Self.opensslMissing }
        guard result.succeeded, !result.standardOutput.isEmpty else {
            throw PluginError(status: .configTest, field: nil,
                              message: "\(virtualHost.id): openssl could not read \(file) (\(virtualHost.block.opening.location)): "
                                  + result.standardErrorText.trimmingCharacters(in: .whitespacesAndNewlines)
                                  + "; an encrypted or unreadable key cannot be checked, so no graceful restart was attempted")
        }
        return result.standardOutputText
    }

    private static let opensslMissing = PluginError(status: .configTest, field: nil,
        message: "openssl is not installed on the endpoint; og-host needs it to check that keys "
            + "match certificates before a graceful restart (Debian package: openssl)")
}
