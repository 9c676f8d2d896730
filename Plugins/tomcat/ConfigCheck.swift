import OGPluginKit

/// Tomcat has no configuration test that runs beside a live server
/// (`configtest` binds the connector ports), so after the host wrote the plan
/// og-host checks what Tomcat will read at its restart: server.xml parses,
/// every keystore it can open holds the configured key entry, and every PEM
/// key belongs to its certificate. The last matters most: Tomcat starts with
/// a mismatched pair and the connector then fails every handshake.
struct ConfigCheck {
    let target: TomcatEndpoint
    let host: HostServices

    func run() throws {
        do {
            let configuration = try ServerXMLReader(target: target, host: host).read()
            for node in configuration.nodes {
                switch node.certificate.source {
                case .keystore(let keystore): try check(keystore, node: node)
                case .pem(let pem): try check(pem, node: node)
                }
            }
        } catch let error as PluginError where error.field != nil {
            // Failures the host reported carry no field and are rethrown as they are.
            throw PluginError(status: .configTest, field: error.field, message: error.message)
        }
    }

    private func check(_ keystore: CertificateSettings.Keystore, node: ServerConfiguration.TLSNode) throws {
        guard let password = target.keystorePassword, password == keystore.password, !keystore.usesPasswordFile else {
            host.log(.info, "config test: keystore \(keystore.path) of \(node.id) not opened (--keystore_password is not its password)")
            return
        }
        let choice = KeystoreEntryChoice(keystore: keystore, host: host)
        let contents = try choice.read()
        let alias = try choice.alias(in: contents)
        guard contents.entries.contains(where: { $0.alias.lowercased() == alias.lowercased() && $0.hasPrivateKey }) else {
            throw PluginError(status: .configTest, field: "node",
                              message: "\(keystore.path) has no key entry '\(alias)', which node \(node.id) serves")
        }
    }

    private func check(_ pem: CertificateSettings.PEM, node: ServerConfiguration.TLSNode) throws {
        let keyPath = pem.keyPath ?? pem.certificatePath
        for path in Set([pem.certificatePath, keyPath]) {
            guard try host.stat(path).type == .regular else {
                throw PluginError(status: .configTest, field: "node",
                                  message: "\(path), configured for node \(node.id), is missing or not a regular file")
            }
        }
        let certificateKey = try openssl(["x509", "-noout", "-pubkey", "-in", pem.certificatePath], path: pem.certificatePath)
        var keyArguments = ["pkey", "-pubout", "-in", keyPath]
        var input: [UInt8] = []
        if let password = pem.keyPassword {
            // The password goes on standard input, never in argv.
            keyArguments += ["-passin", "stdin"]
            input = Array((password + "\n").utf8)
        }
        let privateKey = try openssl(keyArguments, path: keyPath, standardInput: input)
        guard certificateKey == privateKey else {
            throw PluginError(status: .configTest, field: "node",
                              message: "the private key in \(keyPath) does not belong to the certificate in "
                                  + "\(pem.certificatePath) (node \(node.id)); Tomcat would fail every handshake on "
                                  + "port \(node.port), so nothing is restarted")
        }
    }

    /// Runs openssl on the endpoint; its output is a public key, never secret.
    private func openssl(_ arguments: [String], path: String, standardInput: [UInt8] = []) throws -> String {
        // An empty SSL_CERT_FILE: `openssl x509` would otherwise parse the whole default CA bundle for a public key.
        let result = try host.run(["env", "SSL_CERT_FILE=/dev/null", "openssl"] + arguments, standardInput: standardInput,
                                  timeout: .seconds(30), privileged: true)
        guard result.succeeded else {
            let reason = result.standardErrorText.trimmingBlanks()
            if result.exitStatus == 127 {
                throw PluginError(status: .configTest, field: "node",
                                  message: "openssl is not installed on the endpoint, so og-host cannot check that "
                                      + "keys match certificates; install it (Debian package openssl)")
            }
            throw PluginError(status: .configTest, field: "node",
                              message: "openssl cannot read \(path): \(reason.isEmpty ? "exit status \(result.exitStatus)" : String(reason.prefix(400)))")
        }
        return result.standardOutputText
    }
}
