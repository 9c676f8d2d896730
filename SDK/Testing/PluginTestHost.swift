import Foundation
import OGPluginABI
import OGPluginKit

/// An in-memory og-host for a plugin's own unit tests, the way SwiftNIO ships
/// `EmbeddedChannel`: files live in a dictionary, commands answer from a
/// script, and every slot is called through the real C ABI (the plugin's
/// `og_plugin_entry`, its table, its `release`), so what passes here is what
/// og-host will see. Works for Swift plugin types (`load(_:)`) and for any
/// built library, C included (`load(library:)`).
///
///     let host = PluginTestHost()
///     host.files["/etc/site/server.crt"] = Array(pem.utf8)
///     host.script(["nginx", "-t"], standardError: "syntax is ok\n")
///     let plugin = try host.load(MyPlugin.self)
///     let nodes = try plugin.discoverNodes(Endpoint(type: "my_type", name: "t", connectionType: .local,
///                                                   options: ["path": "/etc/site"]))
///
/// A slot that fails throws `PluginTestFailure` with the status and every
/// message the plugin (or a failing service) reported; a slot that keeps a
/// host result without releasing it fails too. Not thread-safe: one test,
/// one host, one thread, as og-host serialises slots of plugins that do not
/// declare OG_PLUGIN_THREAD_SAFE.
public final class PluginTestHost: @unchecked Sendable {
    /// A command the plugin ran, as the endpoint would have seen it.
    public struct CommandCall: Sendable, Hashable {
        public var argv: [String]
        public var standardInput: [UInt8]
        public var privileged: Bool
        /// 0 = the host default.
        public var timeoutMilliseconds: UInt32
    }

    /// Endpoint files by absolute path. Parent directories exist implicitly.
    public var files: [String: [UInt8]] = [:]
    /// Directories that exist even though no file lies below them.
    public var directories: Set<String> = ["/"]
    /// Answers commands that no `script` entry matches; by default exit 127, "command not found".
    public var unscriptedCommand: @Sendable (_ argv: [String], _ standardInput: [UInt8]) -> CommandResult = { argv, _ in
        CommandResult(exitStatus: 127, standardError: Array("\(argv.first ?? ""): command not found (not scripted)\n".utf8))
    }
    /// Parses certificates for `read_certificates`: the SDK links no X.509 parser, so a test
    /// supplies one (or canned values). By default it fails with OG_ERR_PARSE.
    public var certificateReader: @Sendable (_ data: [UInt8]) throws -> [CertificateInfo] = { _ in
        throw PluginError(status: .parse, message: "no certificate reader is set on the PluginTestHost")
    }
    /// What `http_request` answers.
    public var httpResponse = HTTPResponse(status: 404)

    /// Every command run, in order.
    public private(set) var commands: [CommandCall] = []
    /// Every line logged, in order.
    public private(set) var logs: [(level: LogLevel, message: String)] = []

    private var scripted: [(argv: [String], prefix: Bool, result: CommandResult)] = []

    public init() {}

    /// Makes `argv` (exactly, or any command starting with it when `prefix`) answer with this result.
    /// Later scripts win over earlier ones.
    public func script(_ argv: [String], prefix: Bool = false, exitStatus: Int32 = 0,
                       standardOutput: String = "", standardError: String = "") {
        scripted.insert((argv, prefix, CommandResult(exitStatus: exitStatus, standardOutput: Array(standardOutput.utf8),
                                                     standardError: Array(standardError.utf8))), at: 0)
    }

    /// A Swift plugin type, negotiated through `PluginExport.entry` as og-host would.
    public func load<Plugin: EndpointPlugin>(_ type: Plugin.Type) throws -> LoadedPlugin {
        var offer = TestHostTable.offer()
        var table: UnsafePointer<og_plugin_api>?
        let status = PluginExport.entry(type, offer: &offer, table: &table)
        guard status == OG_OK, let table else {
            throw PluginTestFailure(slot: "og_plugin_entry", status: status, messages: ["the plugin refused ABI \(OG_ABI_MAJOR).\(OG_ABI_MINOR)"])
        }
        return LoadedPlugin(host: self, table: table)
    }

    /// A built plugin library (`libog-plugin-<name>.so`, C or Swift), loaded with dlopen as og-host does.
    public func load(library path: String) throws -> LoadedPlugin {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw PluginTestFailure(slot: "dlopen", status: OG_ERR_NOT_FOUND, messages: [String(cString: dlerror())])
        }
        guard let symbol = dlsym(handle, OG_PLUGIN_ENTRY_SYMBOL) else {
            throw PluginTestFailure(slot: "dlsym", status: OG_ERR_NOT_FOUND, messages: ["\(path) exports no og_plugin_entry"])
        }
        let entry = unsafeBitCast(symbol, to: og_plugin_entry_fn.self)
        var offer = TestHostTable.offer()
        var table: UnsafePointer<og_plugin_api>?
        let status = entry(&offer, &table)
        guard status == OG_OK, let table else {
            throw PluginTestFailure(slot: "og_plugin_entry", status: status, messages: ["\(path) refused the offer"])
        }
        return LoadedPlugin(host: self, table: table)
    }

    // MARK: Services, as the table's C callbacks reach them

    func run(_ argv: [String], standardInput: [UInt8], privileged: Bool, timeout: UInt32) -> CommandResult {
        commands.append(CommandCall(argv: argv, standardInput: standardInput, privileged: privileged, timeoutMilliseconds: timeout))
        let match = scripted.first { $0.prefix ? argv.starts(with: $0.argv) : argv == $0.argv }
        return match?.result ?? unscriptedCommand(argv, standardInput)
    }

    func log(_ level: Int32, _ message: String) {
        logs.append((LogLevel(rawValue: level) ?? .info, message))
    }

    func fileType(_ path: String) -> FileType {
        let path = Self.normalized(path)
        if files[path] != nil { return .regular }
        if directories.contains(path) { return .directory }
        let prefix = path == "/" ? "/" : path + "/"
        if files.keys.contains(where: { $0.hasPrefix(prefix) }) || directories.contains(where: { $0.hasPrefix(prefix) }) {
            return .directory
        }
        return .missing
    }

    func list(_ path: String) -> [String]? {
        let path = Self.normalized(path)
        guard fileType(path) == .directory else { return nil }
        let prefix = path == "/" ? "/" : path + "/"
        let children = (Array(files.keys) + Array(directories)).compactMap { entry -> String? in
            guard entry.hasPrefix(prefix), entry.count > prefix.count else { return nil }
            return String(entry.dropFirst(prefix.count).split(separator: "/").first ?? "")
        }
        return Array(Set(children)).filter { !$0.isEmpty }.sorted()
    }

    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." { if !parts.isEmpty { parts.removeLast() } } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }
}

/// A slot that did not return OG_OK, or broke the contract while returning it.
public struct PluginTestFailure: Error, CustomStringConvertible, Sendable {
    public var slot: String
    /// The og_status the slot returned.
    public var status: Int32
    /// set_error messages ("--field: message" when a field was named), in order.
    public var messages: [String]

    public var statusName: String { Status(code: status)?.description ?? "status \(status)" }
    public var description: String { "\(slot) returned \(statusName): \(messages.joined(separator: "; "))" }
}

/// A plugin's table bound to one PluginTestHost; each method is one slot call.
public struct LoadedPlugin: @unchecked Sendable {
    let host: PluginTestHost
    let table: UnsafePointer<og_plugin_api>

    public var descriptorName: String { table.pointee.describe?()?.pointee.name.map { String(cString: $0) } ?? "" }

    public func validate(_ endpoint: Endpoint) throws {
        try call("validate_endpoint", \.validate_endpoint, endpoint) { slot, call, input in slot(call, input.endpoint) }
    }

    public func testConnection(_ endpoint: Endpoint) throws {
        try call("test_connection", \.test_connection, endpoint) { slot, call, input in slot(call, input.endpoint) }
    }

    public func configTest(_ endpoint: Endpoint) throws {
        try call("config_test", \.config_test, endpoint) { slot, call, input in slot(call, input.endpoint) }
    }

    public func restart(_ endpoint: Endpoint) throws {
        try call("restart", \.restart, endpoint) { slot, call, input in slot(call, input.endpoint) }
    }

    /// `request` nil is the re-activation after a rollback. Returns true when the plugin stated,
    /// during this call, that the old configuration retired (attest_old_configuration_retired, ABI 1.2).
    @discardableResult
    public func activate(_ endpoint: Endpoint, request: InstallRequest?) throws -> Bool {
        try call("activate", \.activate, endpoint, request) { slot, call, input in slot(call, input.endpoint, input.request) }
            .statedOldConfigurationRetired
    }

    public func discoverNodes(_ endpoint: Endpoint) throws -> [Node] {
        var list: UnsafeMutablePointer<og_node_list>?
        try call("discover_nodes", \.discover_nodes, endpoint) { slot, call, input in slot(call, input.endpoint, &list) }
        guard let list else { throw PluginTestFailure(slot: "discover_nodes", status: OG_OK, messages: ["returned OK without a node list"]) }
        defer { table.pointee.release?(list) }
        return try ResultDecoding.nodes(list)
    }

    public func planInstall(_ endpoint: Endpoint, request: InstallRequest) throws -> InstallPlan {
        var plan: UnsafeMutablePointer<og_install_plan>?
        try call("plan_install", \.plan_install, endpoint, request) { slot, call, input in slot(call, input.endpoint, input.request, &plan) }
        guard let plan else { throw PluginTestFailure(slot: "plan_install", status: OG_OK, messages: ["returned OK without a plan"]) }
        defer { table.pointee.release?(plan) }
        return try ResultDecoding.plan(plan)
    }

    @discardableResult
    private func call<Slot>(_ name: String, _ slot: KeyPath<og_plugin_api, Slot?>, _ endpoint: Endpoint,
                            _ request: InstallRequest? = nil,
                            _ invoke: (Slot, OpaquePointer, SlotInput) -> og_status) throws -> TestHostTable.Call {
        guard let function = table.pointee[keyPath: slot] else {
            throw PluginTestFailure(slot: name, status: OG_ERR_NOT_SUPPORTED, messages: ["the plugin's \(name) slot is NULL"])
        }
        let memory = TestArena()
        let input = SlotInput(endpoint: memory.endpoint(endpoint), request: request.map { memory.request($0) })
        let call = TestHostTable.begin(host, slot: name)
        let status = invoke(function, call.handle, input)
        TestHostTable.end(call)
        if call.unreleased > 0 {
            throw PluginTestFailure(slot: name, status: status,
                                    messages: call.messages + ["kept \(call.unreleased) host result(s) without releasing them"])
        }
        guard status == OG_OK else { throw PluginTestFailure(slot: name, status: status, messages: call.messages) }
        return call
    }
}

struct SlotInput {
    var endpoint: UnsafePointer<og_endpoint>
    var request: UnsafePointer<og_install_request>?
}
