import OGPluginKit

/// The `tomcat` endpoint type and its options. `--tomcat_dir` follows the
/// reference command line; the others point og-host at a particular instance.
enum TomcatDescriptor {
    static let plugin = PluginDescriptor(
        name: "tomcat",
        version: "1.0.0",
        license: "Apache-2.0",
        summary: "Apache Tomcat 9, 10 and 11: TLS connectors configured in server.xml (JKS, PKCS#12 or PEM)",
        types: [tomcat])

    static let tomcat = EndpointTypeDescriptor(
        name: "tomcat",
        summary: "An Apache Tomcat server: one node per TLS connector host config in conf/server.xml",
        connectionTypes: [.local, .ssh, .winrmHTTP, .winrmHTTPS, .winrmHTTPSInsecure],
        capabilities: [.testConnection, .discover, .install, .configTest, .activate, .restart, .verifyServed],
        options: [
            OptionSchema(name: "tomcat_dir", kind: .path, isRequired: true, minimum: 1, maximum: 4096,
                         help: "The Tomcat directory (CATALINA_HOME, holding bin/catalina.sh), e.g. /opt/tomcat or "
                             + "/usr/share/tomcat10."),
            OptionSchema(name: "tomcat_base", kind: .path, minimum: 1, maximum: 4096,
                         help: "The instance directory (CATALINA_BASE, holding conf/server.xml) when it differs from "
                             + "--tomcat_dir, e.g. /var/lib/tomcat10. Relative paths in server.xml are read from here."),
            OptionSchema(name: TomcatEndpoint.keystorePasswordOption, kind: .string, isSecret: true, minimum: 1,
                         maximum: 1024,
                         help: "The password of the JKS/PKCS#12 keystores server.xml names. Installs into a keystore "
                             + "connector replace its key entry in place and need it; it must equal the connector's "
                             + "configured password (Tomcat's default is changeit). PEM connectors do not use it."),
            OptionSchema(name: "certificate_dir", kind: .path, minimum: 1, maximum: 4096,
                         help: "Where installs write new certificate and key files for PEM connectors "
                             + "(og-host-<port>-<host>.crt.pem and .key.pem). Default: <tomcat_base>/conf."),
            OptionSchema(name: "service_name", kind: .string, minimum: 1, maximum: 128,
                         help: "A systemd unit to restart (systemctl restart, through sudo when configured), e.g. "
                             + "tomcat10. Without it og-host runs catalina.sh stop and start."),
            OptionSchema(name: "catalina_pid", kind: .path, minimum: 1, maximum: 4096,
                         help: "CATALINA_PID for catalina.sh: the file holding the Tomcat process id, so a stop can "
                             + "end a process that ignores the shutdown port. Default: <tomcat_base>/temp/catalina.pid."),
            OptionSchema(name: "start_timeout", kind: .integer, minimum: 5, maximum: 900, defaultValue: "120",
                         help: "Seconds to wait after a restart until every TLS connector answers a handshake."),
            OptionSchema(name: "reload_method", kind: .enumeration(["restart", "jmx"]), defaultValue: "restart",
                         help: "How an install makes Tomcat load the new certificate: restart (catalina.sh or "
                             + "--service_name), or jmx, which calls reloadSslHostConfigs on each changed connector "
                             + "through the manager webapp's JMX proxy (Tomcat keeps running; needs --manager_url, "
                             + "--manager_user, --manager_password and curl on the endpoint). `tls restart` always restarts."),
            OptionSchema(name: "manager_url", kind: .string, minimum: 1, maximum: 2048,
                         help: "The manager webapp's address as seen from the endpoint, e.g. "
                             + "http://127.0.0.1:8080/manager. Required with --reload_method jmx."),
            OptionSchema(name: "manager_user", kind: .string, minimum: 1, maximum: 256,
                         help: "A tomcat-users.xml user with the role manager-jmx. Required with --reload_method jmx."),
            OptionSchema(name: TomcatEndpoint.Manager.passwordOption, kind: .string, isSecret: true, minimum: 1,
                         maximum: 1024,
                         help: "The --manager_user's password. Required with --reload_method jmx; given to curl on "
                             + "its standard input, never on a command line."),
        ])
}
