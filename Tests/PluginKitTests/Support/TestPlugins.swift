import Foundation
import OGPluginABI
@testable import OGPluginKit

/// Implements every capability; what each operation does is chosen by the
/// endpoint's `behaviour` option, and what it saw is written to the host log
/// so tests can read it back.
struct ProbePlugin: EndpointPlugin, ConnectionTesting, NodeDiscovering, InstallPlanning, ConfigTesting, Activating,
    Restarting, InstallApplying {
    static let descriptor = PluginDescriptor(
        name: "probe", version: "0.1.0", license: "Apache-2.0", summary: "Exercises every slot of the kit",
        types: [
            EndpointTypeDescriptor(
                name: "probe", summary: "Test endpoint", connectionTypes: [.local, .ssh, .rest],
                capabilities: [.testConnection, .discover, .install, .configTest, .activate, .restart, .apply, .verifyServed],
                options: [
                    OptionSchema(name: "behaviour", kind: .enumeration(["ok", "plugin-error", "vendor-error", "swift-error",
                                                                         "service-error", "service-error-wrapped",
                                                                         "duplicate-ids", "bad-port"]),
                                 defaultValue: "ok", help: "What the operations do."),
                    OptionSchema(name: "path", kind: .path, minimum: 1, maximum: 4096, help: "A file the operations read."),
                    OptionSchema(name: "count", kind: .integer, minimum: 0, maximum: 100, defaultValue: "1",
                                 help: "How many nodes discovery returns."),
                    OptionSchema(name: "store_password", kind: .string, isSecret: true, help: "A secret option."),
                ]),
        ])
    // Stateless, so concurrent operations are safe, and the parallel tests rely on it.
    static let isThreadSafe = true

    struct Unexpected: Error, CustomStringConvertible {
        var description: String { "the probe failed on purpose" }
    }

    func validate(_ endpoint: Endpoint, host: HostServices) throws {
        try behave(endpoint, host: host)
        host.log(.info, "validate \(Self.summary(of: endpoint))")
    }

    func testConnection(_ endpoint: Endpoint, host: HostServices) throws {
        try behave(endpoint, host: host)
        host.log(.info, "testConnection \(Self.summary(of: endpoint))")
    }

    func discoverNodes(_ endpoint: Endpoint, host: HostServices) throws -> [Node] {
        try behave(endpoint, host: host)
        let count = try endpoint.integer("count")
        let behaviour = endpoint.options["behaviour"]
        return (0..<count).map { index in
            Node(id: behaviour == "duplicate-ids" ? "same" : "node-\(index)", name: "site\(index).test",
                 aliases: ["www.site\(index).test"], protocolName: "https", address: "127.0.0.1",
                 port: behaviour == "bad-port" ? 70000 : 8443 + index, certificatePath: "/srv/site\(index).pem",
                 certificate: Array("cert-\(index)".utf8), detail: "line \(index)")
        }
    }

    func planInstall(_ request: InstallRequest, on endpoint: Endpoint, host: HostServices) throws -> InstallPlan {
        try behave(endpoint, host: host)
        host.log(.info, "plan \(request.nodeID ?? "-") \(request.alias ?? "-") \(request.certificate.commonName) "
                 + "\(request.certificate.dnsNames) chain=\(request.chainLength) dry=\(request.isDryRun)")
        return InstallPlan(
            summary: "install \(request.certificate.commonName)",
            nodeID: request.nodeID ?? "node-0",
            changes: Self.everyKindOfChange,
            verify: [VerifyTarget(host: "127.0.0.1", port: 8443, serverName: request.certificate.commonName),
                     VerifyTarget(host: "::1", port: 443)])
    }

    func configTest(_ endpoint: Endpoint, host: HostServices) throws {
        try behave(endpoint, host: host)
        throw PluginError(status: .configTest, field: "path", message: "the vendor's test said no")
    }

    func activate(_ endpoint: Endpoint, request: InstallRequest?, host: HostServices) throws {
        try behave(endpoint, host: host)
        host.log(.info, "activate request=\(request?.certificate.commonName ?? "nil")")
    }

    func restart(_ endpoint: Endpoint, host: HostServices) throws {
        try behave(endpoint, host: host)
        host.log(.info, "restart")
    }

    func applyInstall(_ request: InstallRequest, on endpoint: Endpoint, host: HostServices) throws -> [UInt8] {
        try behave(endpoint, host: host)
        return Array("undo:\(request.certificate.commonName)".utf8) + [0, 255]
    }

    func rollbackInstall(_ undoToken: [UInt8], on endpoint: Endpoint, host: HostServices) throws {
        try behave(endpoint, host: host)
        host.log(.info, "rollback \(undoToken)")
    }

    static let everyKindOfChange: [FileChange] = [
        .literal("/srv/site.conf", Array("listen 443;\n".utf8), mode: 0o640),
        .certificatePEM("/srv/leaf.pem"),
        .chainPEM("/srv/chain.pem"),
        .fullChainPEM("/srv/fullchain.pem").requiringExistingFile(),
        .privateKeyPEM("/srv/key.pem"),
        .keyAndFullChainPEM("/srv/combined.pem"),
        .keystore("/srv/store.p12", format: .pkcs12, alias: "site", passwordOption: "store_password", legacy: true),
        .keystore("/srv/store.jks", format: .jks, alias: "tomcat", passwordOption: "store_password"),
        .literal("/srv/token", Array("t".utf8)).secret(),
    ]

    private func behave(_ endpoint: Endpoint, host: HostServices) throws {
        switch endpoint.options["behaviour"] ?? "ok" {
        case "plugin-error":
            throw PluginError(status: .conflict, field: "path", message: "is already managed by another tool; remove it first")
        case "vendor-error":
            throw PluginError(status: .vendor(3), field: nil, message: "the vendor API refused")
        case "swift-error":
            throw Unexpected()
        case "service-error":
            _ = try host.readFile(try endpoint.string("path"))
        case "service-error-wrapped":
            do {
                _ = try host.readFile(try endpoint.string("path"))
            } catch {
                throw PluginError(status: .notFound, field: "path", message: "the probe's file is missing; create it")
            }
        default:
            return
        }
    }

    static func summary(of endpoint: Endpoint) -> String {
        let options = endpoint.options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return "type=\(endpoint.type) name=\(endpoint.name) connection=\(endpoint.connectionType) "
            + "platform=\(endpoint.platform.rawValue) host=\(endpoint.host) port=\(endpoint.port.map(String.init) ?? "nil") "
            + "options=\(options)"
    }
}

/// Implements no capability: every optional slot of its table must be NULL.
struct MinimalPlugin: EndpointPlugin {
    static let descriptor = PluginDescriptor(
        name: "minimal", version: "0.1.0", license: "Apache-2.0", summary: "Serves a type with no capabilities",
        types: [EndpointTypeDescriptor(name: "minimal", summary: "Nothing to do", connectionTypes: [.local],
                                       capabilities: [], options: [])])
}

/// Advertises discovery without conforming to NodeDiscovering.
struct OverclaimingPlugin: EndpointPlugin {
    static let descriptor = PluginDescriptor(
        name: "overclaiming", version: "0.1.0", license: "Apache-2.0", summary: "Claims more than it does",
        types: [EndpointTypeDescriptor(name: "overclaiming", summary: "Broken", connectionTypes: [.local],
                                       capabilities: [.discover], options: [])])
}

/// A descriptor with one defect of each kind the kit checks.
struct DefectivePlugin: EndpointPlugin {
    static let descriptor = PluginDescriptor(
        name: "Defective Plugin", version: "", license: "MIT", summary: "Broken on purpose",
        types: [
            EndpointTypeDescriptor(
                name: "Bad-Type", summary: "x", connectionTypes: [], capabilities: [.verifyServed],
                options: [
                    OptionSchema(name: "port", kind: .integer, help: "Clashes with a host option."),
                    OptionSchema(name: "level", kind: .integer, minimum: 10, maximum: 1, defaultValue: "x", help: "Bad limits."),
                    OptionSchema(name: "colour", kind: .enumeration([]), help: ""),
                    OptionSchema(name: "colour", kind: .boolean, defaultValue: "yes", help: "Duplicate."),
                ]),
            EndpointTypeDescriptor(name: "twice", summary: "a", connectionTypes: [.local], capabilities: [], options: []),
            EndpointTypeDescriptor(name: "twice", summary: "b", connectionTypes: [.local], capabilities: [], options: []),
        ])
}

/// Keeps the HostServices it is lent, or uses it from another thread: the misuse the kit must stop.
struct EscapingPlugin: EndpointPlugin, ConnectionTesting {
    static let descriptor = PluginDescriptor(
        name: "escaping", version: "0.1.0", license: "Apache-2.0", summary: "Misuses HostServices",
        types: [EndpointTypeDescriptor(name: "escaping", summary: "Misuse", connectionTypes: [.local],
                                       capabilities: [.testConnection],
                                       options: [OptionSchema(name: "misuse", kind: .enumeration(["keep", "other-thread"]),
                                                              defaultValue: "keep", help: "How to misuse it.")])])

    static let kept = Locked<HostServices?>(nil)

    func testConnection(_ endpoint: Endpoint, host: HostServices) throws {
        Self.kept.withLock { $0 = host }
        if endpoint.options["misuse"] == "other-thread" {
            let finished = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                EscapingPlugin.kept.withLock { $0 }?.log(.info, "from another thread")
                finished.signal()
            }
            finished.wait()
        }
    }
}
