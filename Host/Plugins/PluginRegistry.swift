import Glibc
import OGBasics

/// Everything found on the plugin search path, with a verdict for each file.
///
/// Listing reads manifests only. A library without a valid manifest is
/// described through `describe`, which the CLI runs in a child process so a
/// plugin that crashes while loading cannot take the host down with it.
public final class PluginRegistry: @unchecked Sendable {
    public enum Status: String, Codable, Sendable {
        case available, refused, shadowed
    }

    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var path: String
        public var status: Status
        /// Why the plugin is refused or shadowed, or a note (e.g. "described without a manifest").
        public var reason: String?
        public var info: PluginInfo?
        public var abiMinor: UInt16?
        /// Types this plugin serves that another available plugin serves too: type -> other plugin names.
        public var conflicts: [String: [String]]

        public var abiVersion: String? { abiMinor.map { "1.\($0)" } }
    }

    /// Describes a library that has no usable manifest: returns its manifest or why it cannot be loaded.
    public typealias Describer = @Sendable (String) -> Result<PluginManifest, PluginLoadError>

    /// Loads the library in this process. Fine for trusted, tested plugins; the
    /// CLI substitutes a child-process describer.
    public static let describeInProcess: Describer = { path in
        Result { try PluginManifest(library: try PluginLibrary.load(path)) }
            .mapError { $0 as? PluginLoadError ?? .openFailed(path: path, reason: "\($0)") }
    }

    public let searchPath: PluginSearchPath
    public private(set) var entries: [Entry] = []
    // Libraries loaded for use, by path; loading twice would only re-run the entry point.
    private var loaded: [String: PluginLibrary] = [:]
    private let lock = Locked()

    public init(searchPath: PluginSearchPath, describe: Describer = PluginRegistry.describeInProcess) {
        self.searchPath = searchPath
        scan(describe: describe)
    }

    private func scan(describe: Describer) {
        var seenNames: [String: String] = [:]
        for directory in searchPath.directories {
            guard let files = Self.fileNames(in: directory) else { continue }
            for file in files.sorted() {
                guard let name = PluginLibrary.pluginName(fromFileName: file) else { continue }
                let path = "\(directory)/\(file)"
                if let first = seenNames[name] {
                    entries.append(Entry(name: name, path: path, status: .shadowed, reason: "shadowed by \(first)",
                                         info: nil, abiMinor: nil, conflicts: [:]))
                    continue
                }
                seenNames[name] = path
                entries.append(examine(name: name, path: path, describe: describe))
            }
        }
        markConflicts()
    }

    /// The names in `directory` (without "." and ".."), nil when it cannot be read.
    static func fileNames(in directory: String) -> [String]? {
        guard let stream = opendir(directory) else { return nil }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    private func examine(name: String, path: String, describe: Describer) -> Entry {
        func refused(_ reason: String) -> Entry {
            Entry(name: name, path: path, status: .refused, reason: reason, info: nil, abiMinor: nil, conflicts: [:])
        }
        if let problem = PluginTrust.problem(with: path) { return refused(problem) }
        let (manifest, manifestProblem) = PluginManifest.read(forLibrary: path)
        if let manifest {
            guard manifest.plugin.name == name else {
                return refused("manifest names plugin '\(manifest.plugin.name)' but the file says '\(name)'")
            }
            return Entry(name: name, path: path, status: .available, reason: nil, info: manifest.plugin,
                         abiMinor: manifest.abiMinor, conflicts: [:])
        }
        switch describe(path) {
        case .success(let described):
            return Entry(name: name, path: path, status: .available,
                         reason: "\(manifestProblem ?? "no manifest"); described by loading the library",
                         info: described.plugin, abiMinor: described.abiMinor, conflicts: [:])
        case .failure(let error):
            return refused(error.reason)
        }
    }

    private func markConflicts() {
        var servers: [String: [Int]] = [:]
        for (index, entry) in entries.enumerated() where entry.status == .available {
            for type in entry.info?.types ?? [] { servers[type.name, default: []].append(index) }
        }
        for (type, indices) in servers where indices.count > 1 {
            for index in indices {
                entries[index].conflicts[type] = indices.filter { $0 != index }.map { entries[$0].name }
            }
        }
    }

    /// Every endpoint type some available plugin serves, sorted.
    public var availableTypes: [String] {
        Set(entries.filter { $0.status == .available }.flatMap { $0.info?.types.map(\.name) ?? [] }).sorted()
    }

    /// The one available plugin serving `type`.
    public func entry(forType type: String) throws(PluginLookupError) -> Entry {
        let servers = entries.filter { $0.status == .available && $0.info?.type(named: type) != nil }
        if servers.count > 1 { throw .conflict(type: type, plugins: servers.map { "\($0.name) (\($0.path))" }) }
        guard let server = servers.first else {
            let refusedHere = entries.filter { $0.status == .refused }.map { "\($0.name): \($0.reason ?? "")" }
            throw .unknownType(type: type, known: availableTypes, refused: refusedHere)
        }
        return server
    }

    public func entry(named name: String) -> Entry? {
        entries.first { $0.name == name && $0.status != .shadowed }
    }

    /// Loads the plugin for use, re-checking trust and that it is what its manifest said.
    public func load(_ entry: Entry) throws(PluginLoadError) -> PluginLibrary {
        if let library = lock.withLock({ loaded[entry.path] }) { return library }
        if let problem = PluginTrust.problem(with: entry.path) { throw .untrusted(path: entry.path, reason: problem) }
        let library = try PluginLibrary.load(entry.path)
        if let expected = entry.info, expected != library.info {
            throw .badDescriptor(path: entry.path, reason: "the library describes itself differently from its manifest; regenerate the manifest with `og-host plugins manifest \(entry.path)`")
        }
        lock.withLock { loaded[entry.path] = library }
        return library
    }
}

public enum PluginLookupError: Error, CustomStringConvertible, Equatable, Sendable {
    case unknownType(type: String, known: [String], refused: [String])
    case conflict(type: String, plugins: [String])

    public var description: String {
        switch self {
        case .unknownType(let type, let known, let refused):
            var text = "no plugin serves endpoint type '\(type)'"
            text += known.isEmpty ? "; no plugins are installed (see `og-host plugins list`)" : "; available types: \(known.joined(separator: ", "))"
            if !refused.isEmpty { text += "\nrefused plugins: " + refused.joined(separator: "; ") }
            return text
        case .conflict(let type, let plugins):
            return "endpoint type '\(type)' is served by more than one plugin: \(plugins.joined(separator: ", ")); remove all but one from the plugin directories"
        }
    }
}
