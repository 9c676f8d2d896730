import OGPluginKit

/// The `nginx` endpoint type and its options. `nginx_config_path` is spelled as
/// the reference spells it; the others let an operator point og-host at a
/// private instance or a packaged one with unusual paths.
enum NginxDescriptor {
    static let plugin = PluginDescriptor(
        name: "nginx",
        version: "1.0.0",
        license: "Apache-2.0",
        summary: "nginx: discovers TLS server blocks, installs certificates into them and reloads nginx",
        types: [nginx])

    static let nginx = EndpointTypeDescriptor(
        name: "nginx",
        summary: "An nginx server: one node per server block with an ssl listener",
        connectionTypes: [.local, .ssh],
        capabilities: [.testConnection, .discover, .install, .configTest, .activate, .restart, .verifyServed],
        options: [
            OptionSchema(name: "nginx_config_path", kind: .path, minimum: 1, maximum: 4096, defaultValue: "/etc/nginx/",
                         help: "The directory holding nginx.conf, or the main configuration file itself. Includes "
                             + "and relative certificate paths are resolved against the directory of that file."),
            OptionSchema(name: "nginx_binary", kind: .path, minimum: 1, maximum: 4096, defaultValue: "nginx",
                         help: "The nginx executable used for the configuration test and the reload, e.g. "
                             + "/usr/sbin/nginx; a bare name is looked up in the endpoint's PATH."),
            OptionSchema(name: "nginx_prefix", kind: .path, minimum: 1, maximum: 4096,
                         help: "The prefix the instance was started with (nginx -p DIR), for private instances; "
                             + "og-host passes it to every nginx command and then reloads by signal, not systemd."),
            OptionSchema(name: "nginx_error_log", kind: .path, minimum: 1, maximum: 4096,
                         help: "Passed to every nginx command as -e: where nginx logs before it has read the "
                             + "configuration's error_log. Give a file inside a private instance's directory so "
                             + "tests and reloads never touch the packaged log path."),
            OptionSchema(name: "certificate_directory", kind: .path, minimum: 1, maximum: 4096,
                         help: "Directory where installed certificates and keys are written as og-<node>.crt and "
                             + "og-<node>.key. Defaults to the directory of nginx.conf."),
            OptionSchema(name: "reload_method", kind: .enumeration(ReloadMethod.allCases.map(\.rawValue)),
                         defaultValue: ReloadMethod.automatic.rawValue,
                         help: "How nginx picks up a new certificate: systemd runs systemctl reload (restart for "
                             + "tls restart) on --nginx_service; signal runs nginx -s reload; auto uses signal when "
                             + "--nginx_prefix is given or systemd is not running, systemd otherwise."),
            OptionSchema(name: "nginx_service", kind: .string, minimum: 1, maximum: 256, defaultValue: "nginx.service",
                         help: "The systemd unit reloaded or restarted when the reload method is systemd."),
        ])
}

/// How the plugin makes nginx load changed files.
enum ReloadMethod: String, CaseIterable {
    case automatic = "auto"
    case systemd
    case signal
}
