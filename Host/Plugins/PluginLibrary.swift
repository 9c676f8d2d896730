import OGPluginABI
import Glibc
import OGBasics

/// Why a plugin library could not be used. Each case says which rule it broke.
public enum PluginLoadError: Error, CustomStringConvertible, Equatable, Sendable {
    case untrusted(path: String, reason: String)
    case openFailed(path: String, reason: String)
    case missingEntry(path: String)
    case abiRefused(path: String, status: Int32)
    case badTable(path: String, reason: String)
    case badDescriptor(path: String, reason: String)
    case nameMismatch(path: String, declared: String, expected: String)

    public var description: String {
        switch self {
        case .untrusted(let path, let reason): return "\(path): refused: \(reason)"
        case .openFailed(let path, let reason): return "\(path): cannot be loaded: \(reason)"
        case .missingEntry(let path): return "\(path): does not export \(OG_PLUGIN_ENTRY_SYMBOL)(); it is not an og-host plugin"
        case .abiRefused(let path, let status):
            return "\(path): refused ABI \(OG_ABI_MAJOR).\(OG_ABI_MINOR) offered by this host (status \(status)); it was built for another major"
        case .badTable(let path, let reason): return "\(path): invalid plugin table: \(reason)"
        case .badDescriptor(let path, let reason): return "\(path): invalid descriptor: \(reason)"
        case .nameMismatch(let path, let declared, let expected):
            return "\(path): declares name '\(declared)' but its file name says '\(expected)'; rename one of them"
        }
    }

    /// One short reason for listings.
    public var reason: String {
        switch self {
        case .untrusted(_, let reason), .openFailed(_, let reason), .badTable(_, let reason), .badDescriptor(_, let reason):
            return reason
        case .missingEntry: return "no \(OG_PLUGIN_ENTRY_SYMBOL)() symbol"
        case .abiRefused(_, let status):
            return "refused ABI \(OG_ABI_MAJOR).\(OG_ABI_MINOR) (status \(status)): built for another ABI major or a newer minor"
        case .nameMismatch(_, let declared, let expected): return "declares name '\(declared)', file says '\(expected)'"
        }
    }
}

/// A plugin shared library after a successful negotiation: its table and descriptor.
///
/// Libraries are opened with RTLD_NOW (unresolved symbols fail now, not mid-install),
/// RTLD_LOCAL (plugins cannot see each other's symbols) and RTLD_NODELETE, and are
/// never closed: unloading a Swift image leaves dangling metadata in the runtime.
public final class PluginLibrary: @unchecked Sendable {
    public let path: String
    public let info: PluginInfo
    /// The negotiated table; immortal per the contract.
    let table: UnsafePointer<og_plugin_api>
    public let negotiatedMinor: UInt16
    public let isThreadSafe: Bool
    // Serialises operation slots of plugins that are not thread-safe.
    let callLock = Locked()

    /// The file name a plugin called `name` must have.
    public static func fileName(for name: String) -> String { "libog-plugin-\(name).so" }

    /// The plugin name a file name implies, or nil when it does not follow the pattern.
    public static func pluginName(fromFileName fileName: String) -> String? {
        guard fileName.hasPrefix("libog-plugin-"), fileName.hasSuffix(".so") else { return nil }
        let name = String(fileName.dropFirst("libog-plugin-".count).dropLast(".so".count))
        return name.isEmpty ? nil : name
    }

    /// dlopen()s `path` and resolves the entry symbol without calling it.
    public static func openEntry(_ path: String) throws(PluginLoadError) -> og_plugin_entry_fn {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw .openFailed(path: path, reason: reason)
        }
        guard let symbol = dlsym(handle, OG_PLUGIN_ENTRY_SYMBOL) else { throw .missingEntry(path: path) }
        return unsafeBitCast(symbol, to: og_plugin_entry_fn.self)
    }

    /// Loads, negotiates and validates the plugin at `path`. The trust check
    /// is the caller's job (PluginTrust) so tools can load fixtures from temp dirs.
    public static func load(_ path: String, offeringMinor minor: UInt16 = UInt16(OG_ABI_MINOR)) throws(PluginLoadError) -> PluginLibrary {
        let entry = try openEntry(path)
        var offer = og_host_offer(struct_size: UInt32(MemoryLayout<og_host_offer>.size),
                                  abi_major: UInt16(OG_ABI_MAJOR), abi_minor: minor,
                                  host: HostServicesTable.shared)
        var tablePointer: UnsafePointer<og_plugin_api>? = nil
        let status = entry(&offer, &tablePointer)
        guard status == OG_OK else { throw .abiRefused(path: path, status: status) }
        guard let table = tablePointer else { throw .badTable(path: path, reason: "entry returned OK but no table") }
        let library = try PluginLibrary(path: path, table: table, offeredMinor: minor)
        if let expected = pluginName(fromFileName: PathComponents.last(of: path)), expected != library.info.name {
            throw .nameMismatch(path: path, declared: library.info.name, expected: expected)
        }
        return library
    }

    private init(path: String, table: UnsafePointer<og_plugin_api>, offeredMinor: UInt16) throws(PluginLoadError) {
        self.path = path
        let raw = table.pointee
        let required = MemoryLayout<og_plugin_api>.offset(of: \og_plugin_api.release)! + MemoryLayout<UnsafeRawPointer>.size
        guard Int(raw.struct_size) >= required else {
            throw .badTable(path: path, reason: "struct_size \(raw.struct_size) is too small to hold describe and release (needs \(required))")
        }
        guard raw.abi_major == UInt16(OG_ABI_MAJOR) else {
            throw .badTable(path: path, reason: "table says ABI major \(raw.abi_major), host offered \(OG_ABI_MAJOR)")
        }
        guard raw.abi_minor <= offeredMinor else {
            throw .badTable(path: path, reason: "table says ABI minor \(raw.abi_minor), above the \(offeredMinor) offered")
        }
        guard let describe = raw.describe else { throw .badTable(path: path, reason: "describe slot is NULL") }
        guard raw.release != nil else { throw .badTable(path: path, reason: "release slot is NULL (required)") }
        guard let descriptor = describe() else { throw .badDescriptor(path: path, reason: "describe() returned NULL") }
        do {
            info = try PluginInfo.read(descriptor)
        } catch {
            throw .badDescriptor(path: path, reason: error.description)
        }
        self.table = table
        negotiatedMinor = raw.abi_minor
        isThreadSafe = raw.flags & UInt32(OG_PLUGIN_THREAD_SAFE) != 0
    }

    /// True when the table is large enough to contain the slot at `offset` and the slot is set.
    func hasSlot<T>(_ keyPath: KeyPath<og_plugin_api, T?>) -> Bool {
        guard let offset = MemoryLayout<og_plugin_api>.offset(of: keyPath) else { return false }
        guard Int(table.pointee.struct_size) >= offset + MemoryLayout<UnsafeRawPointer>.size else { return false }
        return table.pointee[keyPath: keyPath] != nil
    }

    /// The slot, when present within struct_size.
    func slot<T>(_ keyPath: KeyPath<og_plugin_api, T?>) -> T? {
        hasSlot(keyPath) ? table.pointee[keyPath: keyPath] : nil
    }

    /// Hands a plugin-owned result back to the plugin.
    func releaseResult(_ pointer: UnsafeMutableRawPointer?) {
        guard let pointer else { return }
        table.pointee.release?(pointer)
    }

    /// Runs `body` under the plugin's serialisation rule.
    func serialised<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        if isThreadSafe { return try body() }
        return try callLock.withLock(body)
    }
}
