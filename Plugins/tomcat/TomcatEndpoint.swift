import OGPluginKit

/// An endpoint's options, checked once and typed. Every operation starts here.
struct TomcatEndpoint {
    /// The option holding the keystore password; the host reads it by this name.
    static let keystorePasswordOption = "keystore_password"

    let platform: Platform
    /// CATALINA_HOME: bin/catalina.sh lives here.
    let home: String
    /// CATALINA_BASE: conf/server.xml, and what relative paths in it are relative to.
    let base: String
    /// Where new PEM files for PEM connectors go.
    let certificateDirectory: String
    /// A service-manager unit to restart instead of running catalina.sh.
    let serviceName: String?
    /// CATALINA_PID for catalina.sh stop/start.
    let pidFile: String
    let startTimeoutSeconds: Int
    /// Where the gateway reaches the endpoint; 127.0.0.1 for local endpoints.
    let reachableHost: String
    /// Present only when the operator gave it; compared in memory, never shown.
    let keystorePassword: String?
    /// Set when the operator chose `--reload_method jmx`: installs reload the
    /// connectors' certificates through the manager instead of restarting Tomcat.
    let manager: Manager?

    /// The manager webapp whose JMX proxy reloads certificates.
    struct Manager {
        static let passwordOption = "manager_password"

        /// Without a trailing slash, e.g. http://127.0.0.1:8080/manager.
        let url: String
        let user: String
        let password: String

        /// curl configuration lines for standard input; the only place the password goes.
        var curlCredentials: String {
            "user = \"" + Self.quoted(user) + ":" + Self.quoted(password) + "\"\n"
        }

        private static func quoted(_ text: String) -> String {
            text.replacingEvery("\\", with: "\\\\").replacingEvery("\"", with: "\\\"")
        }
    }

    init(_ endpoint: Endpoint) throws {
        platform = endpoint.platform
        home = try Self.directory(try endpoint.string("tomcat_dir"), option: "tomcat_dir")
        base = try endpoint.options["tomcat_base"].flatMap { $0.isEmpty ? nil : $0 }
            .map { try Self.directory($0, option: "tomcat_base") } ?? home
        certificateDirectory = try endpoint.options["certificate_dir"].flatMap { $0.isEmpty ? nil : $0 }
            .map { try Self.directory($0, option: "certificate_dir") } ?? base + "/conf"
        pidFile = try endpoint.options["catalina_pid"].flatMap { $0.isEmpty ? nil : $0 }
            .map { try Self.absolute($0, option: "catalina_pid") } ?? base + "/temp/catalina.pid"
        if let name = endpoint.options["service_name"], !name.isEmpty {
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.@".contains($0) }), name.first != "-" else {
                throw PluginError(status: .invalidArgument, field: "service_name",
                                  message: "'\(name)' is not a service unit name; give one such as tomcat10")
            }
            serviceName = name
        } else {
            serviceName = nil
        }
        startTimeoutSeconds = try endpoint.integerIfPresent("start_timeout") ?? 120
        reachableHost = endpoint.host.isEmpty ? "127.0.0.1" : endpoint.host
        keystorePassword = endpoint.options[Self.keystorePasswordOption].flatMap { $0.isEmpty ? nil : $0 }
        manager = try Self.manager(endpoint)
    }

    private static func manager(_ endpoint: Endpoint) throws -> Manager? {
        let method = endpoint.options["reload_method"].flatMap { $0.isEmpty ? nil : $0 } ?? "restart"
        switch method {
        case "restart":
            return nil
        case "jmx":
            break
        default:
            throw PluginError(status: .invalidArgument, field: "reload_method",
                              message: "'\(method)' is not a reload method; give restart or jmx")
        }
        guard var url = endpoint.options["manager_url"], !url.isEmpty else {
            throw PluginError(status: .invalidArgument, field: "manager_url",
                              message: "is required with --reload_method jmx; give the manager webapp's address, "
                                  + "e.g. http://127.0.0.1:8080/manager")
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://"),
              !url.contains(where: { $0.isWhitespace || $0 == "?" || $0 == "#" || $0 == "\"" || $0 == "\\" }) else {
            throw PluginError(status: .invalidArgument, field: "manager_url",
                              message: "'\(url)' is not an http:// or https:// address without spaces, quotes or a "
                                  + "query; give one such as http://127.0.0.1:8080/manager")
        }
        while url.hasSuffix("/") { url.removeLast() }
        guard let user = endpoint.options["manager_user"], !user.isEmpty else {
            throw PluginError(status: .invalidArgument, field: "manager_user",
                              message: "is required with --reload_method jmx; give a tomcat-users.xml user with the "
                                  + "role manager-jmx")
        }
        guard !user.contains(":"), !user.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) else {
            throw PluginError(status: .invalidArgument, field: "manager_user",
                              message: "contains a colon or line break, which HTTP basic authentication cannot carry")
        }
        guard let password = endpoint.options[Manager.passwordOption], !password.isEmpty else {
            throw PluginError(status: .invalidArgument, field: Manager.passwordOption,
                              message: "is required with --reload_method jmx; give the manager user's password, "
                                  + "e.g. env:TOMCAT_MANAGER_PASSWORD")
        }
        guard !password.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) else {
            throw PluginError(status: .invalidArgument, field: Manager.passwordOption,
                              message: "contains a line break or NUL, which HTTP basic authentication cannot carry")
        }
        return Manager(url: url, user: user, password: password)
    }

    var serverXML: String { base + "/conf/server.xml" }
    var catalinaScript: String { home + "/bin/catalina.sh" }

    /// Absolute, without a trailing slash (so joined paths read cleanly).
    private static func directory(_ value: String, option: String) throws -> String {
        var path = try absolute(value, option: option)
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    private static func absolute(_ value: String, option: String) throws -> String {
        guard value.hasPrefix("/") else {
            throw PluginError(status: .invalidArgument, field: option,
                              message: "'\(value)' is not an absolute path on the endpoint; give one such as /opt/tomcat")
        }
        guard !value.contains(where: { $0 == "\0" || $0 == "\n" || $0 == "\r" }) else {
            throw PluginError(status: .invalidArgument, field: option, message: "contains a NUL or line break")
        }
        return value
    }
}
