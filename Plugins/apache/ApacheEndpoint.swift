import OGPluginKit

/// An `apache` endpoint's options, checked, with the ServerRoot and main
/// configuration file resolved (from the options, else from `apachectl -V`).
struct ApacheEndpoint {
    let control: String
    let serverRoot: String
    let configFile: String
    let defines: [String]
    let certificateDirectory: String?
    let endpoint: Endpoint

    init(_ endpoint: Endpoint, host: HostServices) throws {
        self.endpoint = endpoint
        control = try Self.absolutePath(endpoint, "apachectl_path")
        defines = try Self.defineNames(endpoint.options["apache_defines"])
        certificateDirectory = try endpoint.options["cert_dir"].map { _ in try Self.absolutePath(endpoint, "cert_dir") }
        var root = try endpoint.options["apache_server_root"].map { _ in try Self.absolutePath(endpoint, "apache_server_root") }
        var config = endpoint.options["apache_config_file"]
        if root == nil || config == nil {
            let compiled = try Self.compiledDefaults(control: control, host: host)
            root = root ?? compiled.root
            config = config ?? compiled.config
        }
        serverRoot = root ?? "/"
        configFile = ConfigPath.resolve(config ?? "", against: serverRoot)
    }

    /// The arguments every apachectl run gets, so the tool sees the same
    /// configuration the parser read.
    var commonArguments: [String] {
        var arguments = [control]
        if endpoint.options["apache_server_root"] != nil { arguments += ["-d", serverRoot] }
        if endpoint.options["apache_config_file"] != nil { arguments += ["-f", configFile] }
        for name in defines { arguments += ["-D", name] }
        return arguments
    }

    /// Runs apachectl with the common arguments and `extra`; throws `status` with the tool's own words on failure.
    @discardableResult
    func runControl(_ extra: [String], host: HostServices, failure status: Status, what: String) throws -> CommandResult {
        // Privileged: apachectl reads root-only keys and signals a root parent (through sudo where configured).
        let result = try host.run(commonArguments + extra, timeout: .seconds(120), privileged: true)
        guard result.succeeded else {
            let words = (result.standardErrorText + result.standardOutputText)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw PluginError(status: status, field: nil,
                              message: "\(what) failed (\((commonArguments + extra).joined(separator: " ")) exited "
                                  + "\(result.exitStatus)): \(words.isEmpty ? "no output" : words)")
        }
        return result
    }

    private static func absolutePath(_ endpoint: Endpoint, _ option: String) throws -> String {
        let path = try endpoint.string(option)
        guard path.hasPrefix("/") else {
            throw PluginError(status: .invalidArgument, field: option,
                              message: "'\(path)' is not an absolute path; give one starting with /")
        }
        return path
    }

    private static func defineNames(_ text: String?) throws -> [String] {
        guard let text else { return [] }
        let names = text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        for name in names where name.isEmpty || !name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) {
            throw PluginError(status: .invalidArgument, field: "apache_defines",
                              message: "'\(name)' is not a parameter name; give names of letters, digits, _ and - "
                                  + "separated by commas, e.g. SSL,FOREGROUND")
        }
        return names
    }

    /// HTTPD_ROOT and SERVER_CONFIG_FILE as the binary was compiled.
    private static func compiledDefaults(control: String, host: HostServices) throws -> (root: String?, config: String?) {
        let result = try host.run([control, "-V"], timeout: .seconds(60), privileged: true)
        let text = result.standardOutputText
        func value(_ name: String) -> String? {
            for line in text.split(separator: "\n") {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                let prefix = "-D \(name)=\""
                if trimmed.hasPrefix(prefix), trimmed.hasSuffix("\"") {
                    return String(trimmed.dropFirst(prefix.count).dropLast())
                }
            }
            return nil
        }
        let root = value("HTTPD_ROOT")
        let config = value("SERVER_CONFIG_FILE")
        guard root != nil, config != nil else {
            throw PluginError(status: .commandFailed, field: "apachectl_path",
                              message: "'\(control) -V' did not report HTTPD_ROOT and SERVER_CONFIG_FILE (exit "
                                  + "\(result.exitStatus)); check --apachectl_path, or give --apache_server_root "
                                  + "and --apache_config_file")
        }
        return (root, config)
    }
}
