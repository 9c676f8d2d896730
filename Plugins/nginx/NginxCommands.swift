import OGPluginKit

/// The commands the plugin runs on the endpoint, always as argv through the
/// connection: nginx's own test, the key/certificate check, reload and restart.
struct NginxCommands {
    let target: NginxEndpoint
    let host: HostServices

    /// `nginx -v`: proves the binary runs over the connection.
    func version() throws -> String {
        let result = try run(target.nginxCommand.prefix(1) + ["-v"])
        guard result.succeeded else {
            throw PluginError(status: result.exitStatus == 127 ? .notFound : .commandFailed, field: "nginx_binary",
                              message: "\(target.binary) -v failed (exit \(result.exitStatus)): \(Self.firstLines(result)); "
                                  + "install nginx or give its path with --nginx_binary")
        }
        return Self.firstLines(result)
    }

    /// `nginx -t` on the endpoint's configuration; its complaint becomes the error.
    func testConfiguration() throws {
        let result = try run(target.nginxCommand + ["-t"])
        guard result.succeeded else {
            throw PluginError(status: result.exitStatus == 127 ? .notFound : .configTest, field: nil,
                              message: "nginx -t rejected \(target.configFile): \(Self.firstLines(result))")
        }
    }

    /// Before any reload: every TLS server's key must belong to its
    /// certificate. openssl compares public keys read from the file paths, so
    /// no key material ever appears in an argv or passes through the plugin.
    /// `provedOnTheGateway` is the pair the install being tested wrote, whose
    /// match the host proved before planning (`HostWrittenPairs`): not run again.
    func checkKeysMatchCertificates(_ configuration: NginxConfiguration, provedOnTheGateway: HostWrittenPairs.Pair?) throws {
        var checked = Set<[String]>()
        if let proved = provedOnTheGateway { checked.insert([proved.certificatePath, proved.keyPath]) }
        for (id, server) in configuration.tlsServers {
            guard let certificate = configuration.literalPath(server.effectiveCertificates),
                  let key = configuration.literalPath(server.effectiveKeys),
                  checked.insert([certificate, key]).inserted else { continue }
            // `openssl x509` loads the default CA bundle although -pubkey needs none of it: about 190 M of its
            // 211 M instructions. An empty SSL_CERT_FILE leaves the same check at 17 M.
            let fromCertificate = try run(["env", "SSL_CERT_FILE=/dev/null", "openssl", "x509", "-noout", "-pubkey", "-in", certificate])
            let fromKey = try run(["openssl", "pkey", "-pubout", "-passin", "pass:", "-in", key])
            if fromCertificate.exitStatus == 127 || fromKey.exitStatus == 127 {
                host.log(.warning, "openssl is not installed on the endpoint; relying on nginx -t to compare keys and certificates")
                return
            }
            guard fromCertificate.succeeded else {
                throw PluginError(status: .configTest, field: nil,
                                  message: "server \(id): \(certificate) is not a readable PEM certificate: \(Self.firstLines(fromCertificate))")
            }
            // An encrypted key (ssl_password_file) cannot be opened here; nginx -t still checks it.
            guard fromKey.succeeded else { continue }
            if fromCertificate.standardOutput != fromKey.standardOutput {
                throw PluginError(status: .configTest, field: nil,
                                  message: "server \(id): the private key \(key) does not match the certificate "
                                      + "\(certificate); nginx would refuse to reload, so nothing was reloaded")
            }
        }
    }

    /// With `listingWorkersOf` (a pid file), the reload command first lists that master's workers
    /// (`WorkerRetirement`); the returned result's output holds the listing.
    @discardableResult
    func reload(listingWorkersOf pidFile: String? = nil) throws -> CommandResult {
        let (argv, what) = try usesSystemd() ? (["systemctl", "reload", target.service], "systemctl reload \(target.service)")
                                             : (target.nginxCommand + ["-s", "reload"], "nginx -s reload")
        let result = try run(pidFile.map { WorkerRetirement.listingThenReloading(pidFile: $0, argv) } ?? argv)
        try require(WorkerRetirement.withoutListing(result), what)
        return result
    }

    /// systemd restarts the unit; an instance run by signal has no full
    /// restart from outside, so it gets nginx's graceful reload, which starts
    /// new workers with the configuration and certificates read afresh.
    func restart() throws {
        if try usesSystemd() {
            try require(run(["systemctl", "restart", target.service]), "systemctl restart \(target.service)")
        } else {
            try require(run(target.nginxCommand + ["-s", "reload"]), "nginx -s reload")
        }
    }

    func usesSystemd() throws -> Bool {
        switch target.reloadMethod {
        case .systemd: return true
        case .signal: return false
        case .automatic:
            if target.prefix != nil { return false }
            return try host.stat("/run/systemd/system").type == .directory
        }
    }

    /// Every nginx step is privileged: the configuration test and the key check
    /// read root-only keys, and a reload signals a master that runs as root.
    /// With sudo configured they go through sudo; otherwise they run as the login.
    private func run(_ argv: [String]) throws -> CommandResult {
        try host.run(argv, timeout: .seconds(60), privileged: true)
    }

    private func require(_ result: CommandResult, _ what: String) throws {
        guard result.succeeded else {
            throw PluginError(status: .commandFailed, field: nil,
                              message: "\(what) failed (exit \(result.exitStatus)): \(Self.firstLines(result))")
        }
    }

    /// The tool's own words, trimmed to what fits an error line.
    static func firstLines(_ result: CommandResult) -> String {
        let text = (result.standardErrorText + "\n" + result.standardOutputText)
            .split(separator: "\n").map { $0.drop { $0 == " " || $0 == "\t" } }.filter { !$0.isEmpty }
        return text.isEmpty ? "no output" : text.prefix(6).joined(separator: " | ")
    }
}
