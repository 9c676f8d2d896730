import OGPluginKit

/// A virtual host with SSLEngine on, named the way `--node` refers to it.
struct TLSVirtualHost {
    /// `name@address:port` of its first address; `#2`, `#3`... for repeats.
    let id: String
    let name: String
    let block: VirtualHostBlock

    var certificateFile: DirectiveSite? { block.certificateFiles.last }
    /// The key lives in the certificate file when no SSLCertificateKeyFile is given.
    var keyPath: String? { block.keyFiles.last?.arguments.first ?? certificateFile?.arguments.first }

    /// Every name the virtual host answers to.
    var names: [String] { [name] + block.aliases }

    /// The TLS virtual hosts of `configuration`, in configuration order.
    /// A virtual host without a ServerName (its own or the main server's)
    /// answers as the machine: the endpoint's host name, or localhost.
    static func all(in configuration: ApacheConfiguration, endpointHost: String) throws -> [TLSVirtualHost] {
        var seen: [String: Int] = [:]
        var result: [TLSVirtualHost] = []
        for block in configuration.virtualHosts where block.isTLS {
            guard let first = block.addresses.first else {
                throw PluginError(status: .parse, field: nil,
                                  message: "\(block.opening.location): <VirtualHost> has no address")
            }
            guard first.port != nil else {
                throw PluginError(status: .parse, field: nil,
                                  message: "\(block.opening.location): the TLS virtual host \(first.text) gives no "
                                      + "port; write the port (e.g. \(first.text):443)")
            }
            let machine = endpointHost.isEmpty ? "localhost" : endpointHost
            let name = block.serverName ?? configuration.mainServerName ?? (first.isWildcard ? machine : first.host)
            let base = "\(name)@\(first.text)"
            let count = (seen[base] ?? 0) + 1
            seen[base] = count
            result.append(TLSVirtualHost(id: count == 1 ? base : "\(base)#\(count)", name: name, block: block))
        }
        return result
    }

    /// SNI carries DNS names only: not `*`, not an address.
    static func isHostName(_ name: String) -> Bool {
        !name.contains("*") && !name.contains(":") && !name.allSatisfy { $0.isNumber || $0 == "." }
    }

    func node(endpointHost: String) -> Node {
        let address = block.addresses[0]
        return Node(id: id, name: name, aliases: block.aliases, protocolName: "https",
                    address: address.isWildcard ? (endpointHost.isEmpty ? "127.0.0.1" : endpointHost) : address.host,
                    port: address.port, certificatePath: certificateFile?.arguments.first ?? "",
                    detail: block.opening.location)
    }

    /// Where the gateway handshakes to see what this virtual host serves: one
    /// target per distinct listener, wildcards meaning the endpoint itself.
    func verifyTargets(endpointHost: String) -> [VerifyTarget] {
        var targets: [VerifyTarget] = []
        for address in block.addresses {
            guard let port = address.port else { continue }
            let host = address.isWildcard ? (endpointHost.isEmpty ? "127.0.0.1" : endpointHost) : address.host
            let target = VerifyTarget(host: host, port: port, serverName: Self.isHostName(name) ? name : nil)
            if !targets.contains(target) { targets.append(target) }
        }
        return targets
    }
}
