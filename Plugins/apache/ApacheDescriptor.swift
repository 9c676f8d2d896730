import OGPluginKit

/// The `apache` endpoint type and its options. `--apachectl_path` follows the
/// reference command line; the others let an operator point og-host at a
/// private instance (its own ServerRoot, configuration file and -D defines)
/// and choose where new certificates go.
enum ApacheDescriptor {
    static let maximumPathLength: Int64 = 4096

    static let plugin = PluginDescriptor(
        name: "apache",
        version: "1.0.0",
        license: "Apache-2.0",
        summary: "Apache httpd 2.4: TLS virtual hosts (mod_ssl) discovered from the configuration, certificates "
            + "installed with a configuration test, a key check and a graceful restart",
        types: [apache])

    static let apache = EndpointTypeDescriptor(
        name: "apache",
        summary: "An Apache httpd 2.4 server: every <VirtualHost> with SSLEngine on is a node",
        connectionTypes: [.local, .ssh],
        capabilities: [.testConnection, .discover, .install, .configTest, .activate, .restart, .verifyServed],
        options: [
            OptionSchema(name: "apachectl_path", kind: .path, minimum: 1, maximum: maximumPathLength,
                         defaultValue: "/usr/sbin/apachectl",
                         help: "The path to apachectl (or to the httpd/apache2 binary itself, which takes the same "
                             + "-d, -f, -D, -t and -k arguments). og-host runs it for the configuration test (-t), "
                             + "graceful restarts (-k graceful) and restarts (-k restart)."),
            OptionSchema(name: "apache_server_root", kind: .path, minimum: 1, maximum: maximumPathLength,
                         help: "The ServerRoot, passed to apachectl as -d; relative Include and certificate paths "
                             + "are read against it. Default: the HTTPD_ROOT that 'apachectl -V' reports "
                             + "(/etc/apache2 on Debian)."),
            OptionSchema(name: "apache_config_file", kind: .path, minimum: 1, maximum: maximumPathLength,
                         help: "The main configuration file, passed to apachectl as -f; relative to the ServerRoot "
                             + "unless absolute. Default: the SERVER_CONFIG_FILE that 'apachectl -V' reports "
                             + "(apache2.conf on Debian)."),
            OptionSchema(name: "apache_defines", kind: .string, minimum: 1, maximum: 1024,
                         help: "Parameter names the server is started with as -D, separated by commas (e.g. "
                             + "SSL,FOREGROUND). They are passed to every apachectl run and decide which "
                             + "<IfDefine> sections count; no other name is taken as defined."),
            OptionSchema(name: "cert_dir", kind: .path, minimum: 1, maximum: maximumPathLength,
                         help: "The existing directory where installs write each virtual host's certificate "
                             + "(og-<node>.crt, leaf then chain) and private key (og-<node>.key, mode 0600). "
                             + "Default: the directory of the certificate the virtual host uses now."),
        ])
}
