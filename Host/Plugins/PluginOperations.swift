import OGBasics
import OGPluginABI
import Glibc

/// One configured endpoint as a plugin receives it (og_endpoint).
public struct EndpointConfig: Sendable {
    public var type: String
    public var name: String
    public var connectionType: ConnectionType
    public var host: String
    public var port: Int
    /// Type-specific options with defaults applied, in schema order.
    public var options: [(name: String, value: String)]

    public init(type: String, name: String, connectionType: ConnectionType, host: String, port: Int,
                options: [(name: String, value: String)]) {
        self.type = type
        self.name = name
        self.connectionType = connectionType
        self.host = host
        self.port = port
        self.options = options
    }

    public func option(_ name: String) -> String? { options.first { $0.name == name }?.value }
}

/// A TLS-serving place on an endpoint (og_node).
public struct NodeInfo: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var aliases: [String]
    public var `protocol`: String
    public var address: String
    public var port: Int
    public var certificatePath: String
    public var certificate: [UInt8]
    public var detail: String
    /// The configured leaf's SHA-256 when the plugin knows it only by fingerprint (since ABI 1.1); "" otherwise.
    public var configuredSHA256: String = ""
}

public struct InstallRequestInfo: Sendable {
    public var nodeID: String?
    public var alias: String?
    public var certificate: CertificateSummary
    public var chainLength: Int
    public var isDryRun: Bool
    public init(nodeID: String?, alias: String?, certificate: CertificateSummary, chainLength: Int, isDryRun: Bool) {
        self.nodeID = nodeID
        self.alias = alias
        self.certificate = certificate
        self.chainLength = chainLength
        self.isDryRun = isDryRun
    }
}

public struct FileChangeInfo: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        case literal([UInt8])
        case certificatePEM, chainPEM, fullChainPEM, privateKeyPEM, keyAndFullChainPEM
        case keystore(format: KeystoreFormat, alias: String, passwordOption: String)
    }
    public var path: String
    public var content: Content
    /// 0 = host default.
    public var mode: UInt32
    public var mustExist: Bool
    public var isSecret: Bool
    public var legacyPBE: Bool

    /// Whether the written bytes contain private key material.
    public var carriesPrivateKey: Bool {
        switch content {
        case .privateKeyPEM, .keyAndFullChainPEM, .keystore: return true
        default: return false
        }
    }
}

public struct VerifyTargetInfo: Sendable, Equatable, Codable {
    public var host: String
    public var port: Int
    public var serverName: String
}

public struct InstallPlanInfo: Sendable {
    public var summary: String
    public var nodeID: String
    public var changes: [FileChangeInfo]
    public var verify: [VerifyTargetInfo]
}

/// A slot that did not succeed: its status and everything reported on the call.
public struct PluginCallFailure: Error, CustomStringConvertible, Sendable {
    public var slot: String
    public var status: PluginStatus
    public var errors: [PluginCall.ReportedError]

    /// The reported messages, each prefixed with its field when it has one.
    public var description: String {
        if errors.isEmpty { return "\(slot): \(status)" }
        return errors.map { $0.field.isEmpty ? $0.message : "field `\($0.field)`: \($0.message)" }.joined(separator: "\n")
    }
}

extension PluginLibrary {
    /// Whether `type` both advertises `capability` and has the slot behind it.
    public func supports(_ capability: Capability, for type: String) -> Bool {
        guard let info = info.type(named: type), info.has(capability) else { return false }
        switch capability {
        case .testConnection: return hasSlot(\.test_connection)
        case .discover: return hasSlot(\.discover_nodes)
        case .install: return hasSlot(\.plan_install)
        case .configTest: return hasSlot(\.config_test)
        case .activate: return hasSlot(\.activate)
        case .restart: return hasSlot(\.restart)
        case .apply: return hasSlot(\.apply_install) && hasSlot(\.rollback_install)
        case .verifyServed: return true
        }
    }

    public var hasValidateSlot: Bool { hasSlot(\.validate_endpoint) }

    public func validateEndpoint(_ endpoint: EndpointConfig, services: PluginHostServices?) throws(PluginCallFailure) {
        guard let slot = slot(\.validate_endpoint) else { return }
        try invoke("validate_endpoint", services) { call, arena in slot(call, arena.endpoint(endpoint)) }
    }

    public func testConnection(_ endpoint: EndpointConfig, services: PluginHostServices) throws(PluginCallFailure) {
        let slot = try required(\.test_connection, "test_connection")
        try invoke("test_connection", services) { call, arena in slot(call, arena.endpoint(endpoint)) }
    }

    public func configTest(_ endpoint: EndpointConfig, services: PluginHostServices) throws(PluginCallFailure) {
        let slot = try required(\.config_test, "config_test")
        try invoke("config_test", services) { call, arena in slot(call, arena.endpoint(endpoint)) }
    }

    public func restart(_ endpoint: EndpointConfig, services: PluginHostServices) throws(PluginCallFailure) {
        let slot = try required(\.restart, "restart")
        try invoke("restart", services) { call, arena in slot(call, arena.endpoint(endpoint)) }
    }

    /// Runs activate; the result says whether the plugin stated, during this call, that nothing
    /// running the old configuration accepts new connections any more (attest_old_configuration_retired, 1.2).
    @discardableResult
    public func activate(_ endpoint: EndpointConfig, request: InstallRequestInfo?,
                         services: PluginHostServices) throws(PluginCallFailure) -> ActivationOutcome {
        let slot = try required(\.activate, "activate")
        let call = try invoke("activate", services) { call, arena in
            slot(call, arena.endpoint(endpoint), request.map { UnsafePointer(arena.installRequest($0)) })
        }
        return ActivationOutcome(oldConfigurationRetired: call.oldConfigurationRetired)
    }

    public func discoverNodes(_ endpoint: EndpointConfig, services: PluginHostServices) throws(PluginCallFailure) -> [NodeInfo] {
        let slot = try required(\.discover_nodes, "discover_nodes")
        var list: UnsafeMutablePointer<og_node_list>? = nil
        try invoke("discover_nodes", services) { call, arena in slot(call, arena.endpoint(endpoint), &list) }
        defer { releaseResult(list.map(UnsafeMutableRawPointer.init)) }
        return try ResultReader.nodes(list, slot: "discover_nodes")
    }

    public func planInstall(_ endpoint: EndpointConfig, request: InstallRequestInfo,
                            services: PluginHostServices) throws(PluginCallFailure) -> InstallPlanInfo {
        let slot = try required(\.plan_install, "plan_install")
        var plan: UnsafeMutablePointer<og_install_plan>? = nil
        try invoke("plan_install", services) { call, arena in
            slot(call, arena.endpoint(endpoint), arena.installRequest(request), &plan)
        }
        defer { releaseResult(plan.map(UnsafeMutableRawPointer.init)) }
        return try ResultReader.plan(plan, slot: "plan_install")
    }

    public func applyInstall(_ endpoint: EndpointConfig, request: InstallRequestInfo,
                             services: PluginHostServices) throws(PluginCallFailure) -> [UInt8] {
        let slot = try required(\.apply_install, "apply_install")
        var token: UnsafeMutablePointer<og_undo_token>? = nil
        try invoke("apply_install", services) { call, arena in
            slot(call, arena.endpoint(endpoint), arena.installRequest(request), &token)
        }
        defer { releaseResult(token.map(UnsafeMutableRawPointer.init)) }
        guard let token, Int(token.pointee.struct_size) >= MemoryLayout<og_undo_token>.size,
              let bytes = CText.bytes(token.pointee.data) else {
            throw PluginCallFailure(slot: "apply_install", status: .internalError,
                                    errors: [.init(field: "", message: "apply_install returned OK without a valid undo token")])
        }
        return bytes
    }

    public func rollbackInstall(_ endpoint: EndpointConfig, token: [UInt8], services: PluginHostServices) throws(PluginCallFailure) {
        let slot = try required(\.rollback_install, "rollback_install")
        try invoke("rollback_install", services) { call, arena in slot(call, arena.endpoint(endpoint), arena.bytes(token)) }
    }

    /// True when the plugin has finish_install (since 1.1); without it there is nothing to release after verification.
    public var hasFinishInstall: Bool { hasSlot(\.finish_install) }

    public func finishInstall(_ endpoint: EndpointConfig, token: [UInt8], services: PluginHostServices) throws(PluginCallFailure) {
        let slot = try required(\.finish_install, "finish_install")
        try invoke("finish_install", services) { call, arena in slot(call, arena.endpoint(endpoint), arena.bytes(token)) }
    }

    private func required<T>(_ keyPath: KeyPath<og_plugin_api, T?>, _ name: String) throws(PluginCallFailure) -> T {
        guard let slot = slot(keyPath) else {
            throw PluginCallFailure(slot: name, status: .notSupported,
                                    errors: [.init(field: "", message: "plugin '\(info.name)' does not implement \(name)")])
        }
        return slot
    }

    /// Calls a slot with a fresh og_call under the plugin's threading rule and
    /// turns a non-OK status into a PluginCallFailure carrying what was reported.
    @discardableResult
    private func invoke(_ name: String, _ services: PluginHostServices?,
                        _ body: (OpaquePointer, CArena) -> og_status) throws(PluginCallFailure) -> PluginCall {
        let call = PluginCall(services: services, slot: name)
        let arena = CArena()
        let status = PluginSlotWatch.around(plugin: info.name, slot: name) { serialised { call.withHandle { body($0, arena) } } }
        guard status == OG_OK else {
            var errors = call.errors
            if errors.isEmpty {
                errors = [.init(field: "", message: "plugin '\(info.name)' \(name) failed: \(PluginStatus(code: status))")]
            }
            throw PluginCallFailure(slot: name, status: PluginStatus(code: status), errors: errors)
        }
        return call
    }
}

/// What an activate call told the host besides its status.
public struct ActivationOutcome: Sendable, Equatable {
    /// The plugin saw on the endpoint that nothing running the previous configuration accepts
    /// new connections (attest_old_configuration_retired, since 1.2): one handshake serving the
    /// new leaf then proves a verify target, instead of the settle window.
    public var oldConfigurationRetired: Bool
    public init(oldConfigurationRetired: Bool) { self.oldConfigurationRetired = oldConfigurationRetired }
}

extension CArena {
    func endpoint(_ endpoint: EndpointConfig) -> UnsafeMutablePointer<og_endpoint> {
        let options = endpoint.options.map { og_option(name: str($0.name), value: str($0.value)) }
        return value(og_endpoint(
            struct_size: UInt32(MemoryLayout<og_endpoint>.size), type: str(endpoint.type), name: str(endpoint.name),
            connection_type: endpoint.connectionType.bit, platform: endpoint.connectionType.platform,
            host: str(endpoint.host), port: UInt32(max(0, endpoint.port)),
            options: UnsafePointer(array(options)), option_count: options.count))
    }

    func installRequest(_ request: InstallRequestInfo) -> UnsafeMutablePointer<og_install_request> {
        value(og_install_request(
            struct_size: UInt32(MemoryLayout<og_install_request>.size), node_id: str(request.nodeID ?? ""),
            alias: str(request.alias ?? ""), certificate: UnsafePointer(certificateInfo(request.certificate)),
            chain_length: request.chainLength, flags: request.isDryRun ? UInt32(OG_INSTALL_DRY_RUN) : 0))
    }
}

/// Converts plugin-owned results into Swift values, refusing malformed ones.
enum ResultReader {
    static func malformed(_ slot: String, _ reason: String) -> PluginCallFailure {
        PluginCallFailure(slot: slot, status: .internalError,
                          errors: [.init(field: "", message: "\(slot) returned a malformed result: \(reason)")])
    }

    static func elements<T>(_ first: UnsafePointer<T>?, count: Int, limit: Int, slot: String, what: String,
                            minimumSize: Int = MemoryLayout<T>.size) throws(PluginCallFailure) -> [T] {
        switch StridedArray.read(first, count: count, limit: limit, minimumSize: minimumSize) {
        case .success(let elements): return elements
        case .failure(let problem): throw malformed(slot, "\(what): \(problem.description)")
        }
    }

    static func text(_ value: og_str, _ slot: String, _ what: String) throws(PluginCallFailure) -> String {
        guard let text = CText.string(value) else { throw malformed(slot, "\(what) is not valid UTF-8") }
        return text
    }

    static func nodes(_ list: UnsafeMutablePointer<og_node_list>?, slot: String) throws(PluginCallFailure) -> [NodeInfo] {
        guard let list else { throw malformed(slot, "returned OK without a node list") }
        guard Int(list.pointee.struct_size) >= MemoryLayout<og_node_list>.size else {
            throw malformed(slot, "node list struct_size \(list.pointee.struct_size) is too small")
        }
        // configured_sha256 (since 1.1) is the first field past the 1.0 element.
        let rawNodes = try elements(list.pointee.nodes, count: list.pointee.count, limit: 100_000, slot: slot, what: "nodes",
                                    minimumSize: MemoryLayout<og_node>.offset(of: \og_node.configured_sha256)!)
        var nodes: [NodeInfo] = []
        var seen = Set<String>()
        for (index, raw) in rawNodes.enumerated() {
            var aliases: [String] = []
            if raw.alias_count > 0 {
                guard let list = raw.aliases, raw.alias_count <= 1024 else { throw malformed(slot, "node #\(index) aliases are malformed") }
                for aliasIndex in 0..<raw.alias_count { aliases.append(try text(list[aliasIndex], slot, "node #\(index) alias")) }
            }
            guard let certificate = CText.bytes(raw.certificate) else { throw malformed(slot, "node #\(index) certificate is NULL with a length") }
            let node = NodeInfo(id: try text(raw.id, slot, "node #\(index) id"), name: try text(raw.name, slot, "node #\(index) name"),
                                aliases: aliases, protocol: try text(raw.protocol, slot, "node #\(index) protocol"),
                                address: try text(raw.address, slot, "node #\(index) address"), port: Int(raw.port),
                                certificatePath: try text(raw.certificate_path, slot, "node #\(index) certificate_path"),
                                certificate: certificate, detail: try text(raw.detail, slot, "node #\(index) detail"),
                                configuredSHA256: try text(raw.configured_sha256, slot, "node #\(index) configured_sha256"))
            guard !node.id.isEmpty, seen.insert(node.id).inserted else { throw malformed(slot, "node ids must be non-empty and unique ('\(node.id)')") }
            nodes.append(node)
        }
        return nodes
    }

    static func plan(_ plan: UnsafeMutablePointer<og_install_plan>?, slot: String) throws(PluginCallFailure) -> InstallPlanInfo {
        guard let plan else { throw malformed(slot, "returned OK without a plan") }
        let raw = plan.pointee
        guard Int(raw.struct_size) >= MemoryLayout<og_install_plan>.size else { throw malformed(slot, "plan struct_size is too small") }
        let rawChanges = try elements(raw.changes, count: raw.change_count, limit: 1024, slot: slot, what: "changes")
        let rawTargets = try elements(raw.verify, count: raw.verify_count, limit: 1024, slot: slot, what: "verify targets")
        var changes: [FileChangeInfo] = []
        for (index, change) in rawChanges.enumerated() {
            let path = try text(change.path, slot, "change #\(index) path")
            guard path.hasPrefix("/") || path.dropFirst().hasPrefix(":") else {
                throw malformed(slot, "change #\(index) path '\(path)' is not absolute")
            }
            let content: FileChangeInfo.Content
            switch Int32(change.content_kind) {
            case OG_CONTENT_LITERAL:
                guard let bytes = CText.bytes(change.literal) else { throw malformed(slot, "change #\(index) literal is NULL with a length") }
                content = .literal(bytes)
            case OG_CONTENT_CERTIFICATE_PEM: content = .certificatePEM
            case OG_CONTENT_CHAIN_PEM: content = .chainPEM
            case OG_CONTENT_FULLCHAIN_PEM: content = .fullChainPEM
            case OG_CONTENT_PRIVATE_KEY_PEM: content = .privateKeyPEM
            case OG_CONTENT_KEY_AND_FULLCHAIN_PEM: content = .keyAndFullChainPEM
            case OG_CONTENT_KEYSTORE:
                guard let format = KeystoreFormat(rawValue: change.keystore_format) else {
                    throw malformed(slot, "change #\(index) keystore_format \(change.keystore_format) is unknown")
                }
                content = .keystore(format: format, alias: try text(change.keystore_alias, slot, "change #\(index) alias"),
                                    passwordOption: try text(change.password_option, slot, "change #\(index) password_option"))
            default: throw malformed(slot, "change #\(index) content_kind \(change.content_kind) is unknown")
            }
            changes.append(FileChangeInfo(path: path, content: content, mode: change.mode & 0o7777,
                                          mustExist: change.flags & UInt32(OG_FILE_MUST_EXIST) != 0,
                                          isSecret: change.flags & UInt32(OG_FILE_SECRET) != 0,
                                          legacyPBE: change.flags & UInt32(OG_FILE_LEGACY_PBE) != 0))
        }
        var targets: [VerifyTargetInfo] = []
        for (index, target) in rawTargets.enumerated() {
            guard target.port >= 1, target.port <= 65535 else { throw malformed(slot, "verify #\(index) port \(target.port) is out of range") }
            targets.append(VerifyTargetInfo(host: try text(target.host, slot, "verify #\(index) host"), port: Int(target.port),
                                            serverName: try text(target.server_name, slot, "verify #\(index) server_name")))
        }
        return InstallPlanInfo(summary: try text(raw.summary, slot, "summary"), nodeID: try text(raw.node_id, slot, "node_id"),
                               changes: changes, verify: targets)
    }
}
