import OGPluginKit

/// An endpoint's options resolved into the paths and commands the plugin uses.
struct NginxEndpoint {
    let endpoint: Endpoint
    /// The main configuration file.
    let configFile: String
    /// The directory of `configFile`: nginx resolves includes and relative paths against it.
    let configDirectory: String
    let binary: String
    let prefix: String?
    let errorLog: String?
    let certificateDirectory: String
    let reloadMethod: ReloadMethod
    let service: String

    /// Resolves `nginx_config_path` (a directory holding nginx.conf, or the file) through the connection.
    init(_ endpoint: Endpoint, host: HostServices) throws {
        self.endpoint = endpoint
        let given = try endpoint.string("nginx_config_path")
        guard given.hasPrefix("/") else {
            throw PluginError(status: .invalidArgument, field: "nginx_config_path",
                              message: "'\(given)' is not an absolute path; give e.g. /etc/nginx/")
        }
        let trimmed = PathText.trimmingTrailingSlashes(given)
        switch try host.stat(trimmed).type {
        case .directory:
            configFile = PathText.join(trimmed, "nginx.conf")
            guard try host.stat(configFile).type == .regular else {
                throw PluginError(status: .notFound, field: "nginx_config_path",
                                  message: "\(trimmed) has no nginx.conf; give the directory holding nginx.conf or the file itself")
            }
        case .regular, .symlink:
            configFile = trimmed
        case .missing:
            throw PluginError(status: .notFound, field: "nginx_config_path",
                              message: "\(trimmed) does not exist; give the directory holding nginx.conf (default /etc/nginx/)")
        default:
            throw PluginError(status: .invalidArgument, field: "nginx_config_path",
                              message: "\(trimmed) is neither a directory nor a file; give the directory holding nginx.conf")
        }
        configDirectory = PathText.directory(of: configFile)
        binary = try endpoint.string("nginx_binary")
        prefix = endpoint.options["nginx_prefix"].map(PathText.trimmingTrailingSlashes)
        if let prefix, !prefix.hasPrefix("/") {
            throw PluginError(status: .invalidArgument, field: "nginx_prefix",
                              message: "'\(prefix)' is not an absolute path; give the directory passed to nginx -p")
        }
        errorLog = endpoint.options["nginx_error_log"]
        certificateDirectory = PathText.trimmingTrailingSlashes(endpoint.options["certificate_directory"] ?? configDirectory)
        guard certificateDirectory.hasPrefix("/") else {
            throw PluginError(status: .invalidArgument, field: "certificate_directory",
                              message: "'\(certificateDirectory)' is not an absolute path; give e.g. /etc/nginx/certs")
        }
        let method = endpoint.options["reload_method"] ?? ReloadMethod.automatic.rawValue
        guard let parsed = ReloadMethod(rawValue: method) else {
            throw PluginError(status: .invalidArgument, field: "reload_method",
                              message: "'\(method)' is not one of auto, systemd, signal")
        }
        reloadMethod = parsed
        service = endpoint.options["nginx_service"] ?? "nginx.service"
    }

    /// The nginx command line up to the action: binary, prefix, startup log and configuration file.
    var nginxCommand: [String] {
        [binary] + (prefix.map { ["-p", $0] } ?? []) + (errorLog.map { ["-e", $0] } ?? []) + ["-c", configFile]
    }

    /// Where the verification handshake connects for a listener bound to `address`:
    /// wildcard and loopback listeners are reached through the endpoint's own host.
    func reachableHost(for address: String) -> String {
        let local = endpoint.host.isEmpty || endpoint.host == "localhost"
        switch address {
        case "0.0.0.0", "127.0.0.1", "localhost", "":
            return local ? "127.0.0.1" : endpoint.host
        case "::", "::1":
            return local ? "::1" : endpoint.host
        default:
            return address
        }
    }
}
