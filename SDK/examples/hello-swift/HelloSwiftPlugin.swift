import OGPluginKit

/// The SDK's worked example: endpoint type `combined_pem`, one PEM file that
/// holds the private key, the leaf and its intermediates, the way HAProxy's
/// `crt` directive reads it.
///
/// Everything it does on the endpoint goes through `HostServices`, so the same
/// code serves local and SSH endpoints.
public struct HelloSwiftPlugin: EndpointPlugin, ConnectionTesting, NodeDiscovering, InstallPlanning, ConfigTesting {
    public static let descriptor = PluginDescriptor(
        name: "hello-swift",
        version: "1.0.0",
        license: "Apache-2.0",
        summary: "Example plugin: a combined key + certificate + chain PEM file (HAProxy style)",
        types: [
            EndpointTypeDescriptor(
                name: "combined_pem",
                summary: "One PEM file holding the private key, the certificate and its chain, as HAProxy reads it",
                connectionTypes: [.local, .ssh],
                capabilities: [.testConnection, .discover, .install, .configTest],
                options: [
                    OptionSchema(name: "path", kind: .path, isRequired: true, minimum: 1, maximum: 4096,
                                 help: "Absolute path of the combined PEM file on the endpoint, "
                                     + "e.g. /etc/haproxy/certs/site.pem."),
                    OptionSchema(name: "mode", kind: .string, minimum: 3, maximum: 4, defaultValue: "0600",
                                 help: "Octal permission bits for a newly created file, e.g. 0600 or 0640. "
                                     + "The file holds the private key, so other users get no access."),
                ]),
        ])

    /// The plugin keeps no state between calls, so the host may run its operations concurrently.
    public static let isThreadSafe = true

    public init() {}

    public func validate(_ endpoint: Endpoint, host: HostServices) throws {
        let target = try CombinedPEMTarget(endpoint)
        if try host.stat(target.path).type == .directory {
            throw PluginError(status: .invalidArgument, field: "path",
                              message: "\(target.path) is a directory; give the path of the PEM file inside it")
        }
    }

    public func testConnection(_ endpoint: Endpoint, host: HostServices) throws {
        let parent = try CombinedPEMTarget(endpoint).parentDirectory
        switch try host.stat(parent).type {
        case .directory:
            return
        case .symlink:
            // stat does not follow a final symlink; "<link>/." makes it resolve
            // one, so a symlinked certificate directory counts as a directory.
            if try host.stat(parent + "/.").type == .directory { return }
            throw PluginError(status: .conflict, field: "path",
                              message: "\(parent) is a symlink to something that is not a directory; correct --path")
        case .missing:
            throw PluginError(status: .notFound, field: "path",
                              message: "parent directory \(parent) does not exist on the endpoint; create it or correct --path")
        case .regular, .other:
            throw PluginError(status: .conflict, field: "path",
                              message: "\(parent) exists but is not a directory; correct --path")
        }
    }

    public func discoverNodes(_ endpoint: Endpoint, host: HostServices) throws -> [Node] {
        let target = try CombinedPEMTarget(endpoint)
        var node = Node(id: target.path, name: target.fileName, protocolName: "keystore",
                        certificatePath: target.path, detail: "combined PEM, not installed yet")
        switch try host.stat(target.path).type {
        case .missing:
            return [node]
        case .regular:
            break
        default:
            throw PluginError(status: .conflict, field: "path",
                              message: "\(target.path) exists but is not a regular file; correct --path")
        }
        // The file also holds the private key: only certificate blocks leave this function.
        let certificates = PEMBlock.blocks(in: try host.readFile(target.path)).filter(\.isCertificate)
        guard let leaf = certificates.first else {
            node.detail = "combined PEM without a certificate"
            return [node]
        }
        let info = try host.readCertificates(leaf.text).first
        node.name = info.map { $0.commonName.isEmpty ? ($0.dnsNames.first ?? target.fileName) : $0.commonName }
            ?? target.fileName
        node.aliases = (info?.dnsNames ?? []).filter { $0 != node.name }
        node.certificate = leaf.text
        node.detail = "combined PEM, leaf and \(certificates.count - 1) intermediate(s)"
        return [node]
    }

    public func planInstall(_ request: InstallRequest, on endpoint: Endpoint, host: HostServices) throws -> InstallPlan {
        let target = try CombinedPEMTarget(endpoint)
        if let nodeID = request.nodeID, nodeID != target.path {
            throw PluginError(status: .notFound, field: "node",
                              message: "'\(nodeID)' is not a node of this endpoint; its only node is \(target.path)")
        }
        let subject = request.certificate.commonName.isEmpty ? request.certificate.subject : request.certificate.commonName
        return InstallPlan(
            summary: "write the private key, \(subject) and \(request.chainLength) intermediate(s) to \(target.path)",
            nodeID: target.path,
            changes: [.keyAndFullChainPEM(target.path, mode: target.mode)])
    }

    public func configTest(_ endpoint: Endpoint, host: HostServices) throws {
        let target = try CombinedPEMTarget(endpoint)
        guard try host.stat(target.path).type == .regular else {
            throw PluginError(status: .configTest, field: "path", message: "\(target.path) is missing or not a regular file")
        }
        let blocks = PEMBlock.blocks(in: try host.readFile(target.path))
        let certificates = blocks.filter(\.isCertificate)
        guard !certificates.isEmpty else {
            throw PluginError(status: .configTest, field: "path", message: "\(target.path) contains no certificate")
        }
        guard blocks.filter(\.isPrivateKey).count == 1 else {
            throw PluginError(status: .configTest, field: "path",
                              message: "\(target.path) must contain exactly one private key; HAProxy would refuse it")
        }
        do {
            _ = try host.readCertificates(certificates.flatMap(\.text))
        } catch let error as PluginError where error.status == .parse {
            throw PluginError(status: .configTest, field: "path",
                              message: "\(target.path) holds a certificate block that cannot be parsed")
        }
    }
}

/// The endpoint's options, checked once: an absolute file path and an octal mode
/// that keeps the private key away from other users.
struct CombinedPEMTarget {
    let path: String
    let mode: UInt32

    init(_ endpoint: Endpoint) throws {
        path = try endpoint.string("path")
        guard path.hasPrefix("/"), !path.hasSuffix("/") else {
            throw PluginError(status: .invalidArgument, field: "path",
                              message: "'\(path)' is not an absolute file path; give one such as /etc/haproxy/certs/site.pem")
        }
        let modeText = try endpoint.string("mode")
        guard (3...4).contains(modeText.count), modeText.allSatisfy({ ("0"..."7").contains($0) }),
              let mode = UInt32(modeText, radix: 8) else {
            throw PluginError(status: .invalidArgument, field: "mode",
                              message: "'\(modeText)' is not 3 or 4 octal digits; give a mode such as 0600")
        }
        guard mode & 0o007 == 0 else {
            throw PluginError(status: .invalidArgument, field: "mode",
                              message: "\(modeText) lets every user read the private key; use 0600 or 0640")
        }
        self.mode = mode
    }

    // `path` starts with "/" and does not end with one (checked in init),
    // so the last "/" exists and a name follows it.
    private var lastSlash: String.Index { path.lastIndex(of: "/")! }

    var fileName: String { String(path[path.index(after: lastSlash)...]) }

    /// Everything before the last "/", as the operator wrote it.
    var parentDirectory: String {
        let parent = path[..<lastSlash]
        return parent.isEmpty ? "/" : String(parent)
    }
}
