import OGPluginKit

/// What `tls add` checks through the endpoint's own connection before it
/// records anything: the file exists as a regular file and can be read as what
/// its type says, and the scripts can be run.
struct EndpointValidation {
    let target: KeystoreEndpoint
    let host: HostServices

    func run() throws {
        let files = EndpointFiles(host: host, platform: target.platform)
        switch target.kind {
        case .pkcs12, .jks:
            _ = try KeystoreReader(target: target, host: host).entries()
        case .pem:
            try files.requireRegularFile(target.path, option: "path",
                                         missingHint: "create it first (an empty file will do) or correct --path")
            _ = try PEMCertificateReader(target: target, host: host).read()
            if let keyPath = target.keyPath {
                try files.requireWritableLocation(keyPath, option: "key_path")
            }
        }
        // Installs replace the store (and a PEM key file) atomically beside it: the account, or its sudo, must be able to.
        try WriteAccess.require(files: [target.path] + (target.kind == .pem ? [target.keyPath].compactMap { $0 } : []),
                                directories: [], platform: target.platform, host: host)
        if let script = target.installScript { try files.requireScript(script, option: "install_script") }
        if let script = target.restartScript { try files.requireScript(script, option: "restart_script") }
    }
}
