import OGPlugins

/// The options og-host owns for every endpoint type, spelled as in the
/// reference gateways' `tls add` so operators can reuse their commands.
/// Plugins add their type's own options after these.
public enum HostOptions {
    public static let all: [OptionSpec] = [
        OptionSpec(name: "name", kind: .string, required: true, min: 1, max: 32,
                   help: "A unique name for the endpoint, 1 to 32 characters."),
        OptionSpec(name: "connection_type", kind: .string, required: true, min: 1, max: 32,
                   help: "How og-host reaches the endpoint."),
        OptionSpec(name: "host", kind: .string, min: 1, max: 255,
                   help: "Remote host name or address, 1 to 255 characters (not with local)."),
        OptionSpec(name: "port", kind: .integer, min: 1, max: 65535,
                   help: "Remote port, 1 to 65535 (default: 22 for ssh, 5985/5986 for WinRM, 443 for REST)."),
        OptionSpec(name: "user", kind: .string, min: 1, max: 255, help: "User name for authentication."),
        OptionSpec(name: "password", kind: .string, secret: true, min: 1, max: 4096,
                   help: "Password for authentication. '-' reads it from standard input, env:NAME from a variable."),
        OptionSpec(name: "ssh_key_path", kind: .path, min: 1, max: 4096,
                   help: "Private key file on the gateway for SSH authentication."),
        OptionSpec(name: "ssh_key_password", kind: .string, secret: true, min: 1, max: 4096,
                   help: "Passphrase of the SSH key ('-' or env:NAME as for field `password`)."),
        OptionSpec(name: "store", kind: .string, min: 1, max: 64,
                   help: "Credential store holding the login (with field `store_cred_id`)."),
        OptionSpec(name: "store_cred_id", kind: .string, min: 1, max: 1024,
                   help: "ID of the login in field `store`."),
        OptionSpec(name: "sudo", kind: .enumeration, allowedValues: ["none", "nopasswd", "password"], defaultValue: "none",
                   help: "Run privileged commands through sudo -n (nopasswd) or sudo -S with the login password (password)."),
        OptionSpec(name: "host_key_fingerprint", kind: .string, min: 1, max: 128,
                   help: "Expected SSH host key (SHA256:...); without it the first key seen is pinned."),
        OptionSpec(name: "ssh_legacy_algorithms", kind: .string, min: 1, max: 1024,
                   help: "For legacy SSH devices only: weak algorithms to offer besides the modern ones, comma-separated "
                       + "(ssh-rsa, ssh-dss, diffie-hellman-group14-sha1, diffie-hellman-group-exchange-sha1, "
                       + "diffie-hellman-group1-sha1, aes128-cbc, aes192-cbc, aes256-cbc, 3des-cbc, hmac-sha1, "
                       + "hmac-sha1-96, hmac-md5, hmac-md5-96)."),
    ]

    static let remoteOnly: Set<String> = [
        "host", "port", "user", "password", "ssh_key_path", "ssh_key_password", "store", "store_cred_id", "sudo",
        "host_key_fingerprint", "ssh_legacy_algorithms",
    ]

    static func spec(_ name: String) -> OptionSpec? { all.first { $0.name == name } }
}
