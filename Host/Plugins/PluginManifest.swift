import Glibc
import OGBasics
import OGJSON
import OGPluginABI

/// The JSON file beside each plugin library (libog-plugin-x.manifest.json) that
/// lets the host list plugins and print `tls add <type> --help` without loading
/// them. It records the library's size and modification time so a manifest
/// that no longer describes its library is noticed and not trusted.
public struct PluginManifest: Codable, Equatable, Sendable {
    public static let formatVersion = 1
    public var format: Int
    public var abiMajor: UInt16
    public var abiMinor: UInt16
    public var threadSafe: Bool
    public var libraryFile: String
    public var librarySize: UInt64
    public var libraryModified: Int64
    public var plugin: PluginInfo

    public static func path(forLibrary library: String) -> String {
        let base = library.hasSuffix(".so") ? String(library.dropLast(3)) : library
        return base + ".manifest.json"
    }

    public init(format: Int, abiMajor: UInt16, abiMinor: UInt16, threadSafe: Bool, libraryFile: String,
                librarySize: UInt64, libraryModified: Int64, plugin: PluginInfo) {
        self.format = format
        self.abiMajor = abiMajor
        self.abiMinor = abiMinor
        self.threadSafe = threadSafe
        self.libraryFile = libraryFile
        self.librarySize = librarySize
        self.libraryModified = libraryModified
        self.plugin = plugin
    }

    /// Describes a loaded library as its manifest.
    public init(library: PluginLibrary) throws {
        let (size, modified) = try Self.fileStamp(library.path)
        format = Self.formatVersion
        abiMajor = UInt16(OG_ABI_MAJOR)
        abiMinor = library.negotiatedMinor
        threadSafe = library.isThreadSafe
        libraryFile = PathComponents.last(of: library.path)
        librarySize = size
        libraryModified = modified
        plugin = library.info
    }

    /// Reads the manifest of `library`; nil with a reason when it is missing, stale or invalid.
    public static func read(forLibrary library: String) -> (manifest: PluginManifest?, problem: String?) {
        let path = path(forLibrary: library)
        guard LocalFiles.exists(path) else { return (nil, "no manifest") }
        if let problem = PluginTrust.problem(with: path) { return (nil, "manifest \(problem)") }
        let manifest: PluginManifest
        do {
            manifest = try PluginManifest(json: try JSON.parse(try LocalFiles.read(path, limit: .manifest)))
        } catch {
            return (nil, "manifest is not valid JSON of format \(formatVersion): \(error)")
        }
        guard manifest.format == formatVersion, manifest.abiMajor == UInt16(OG_ABI_MAJOR) else {
            return (nil, "manifest format \(manifest.format) / ABI \(manifest.abiMajor) is not what this host reads")
        }
        guard let (size, modified) = try? fileStamp(library), size == manifest.librarySize, modified == manifest.libraryModified else {
            return (nil, "manifest is stale (the library changed after it was written)")
        }
        do {
            try manifest.plugin.validate()
        } catch {
            return (nil, "manifest describes an invalid plugin: \(error.description)")
        }
        return (manifest, nil)
    }

    static func fileStamp(_ path: String) throws -> (UInt64, Int64) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw BasicsError.io(path: path, operation: "stat", reason: String(cString: strerror(errno)))
        }
        return (UInt64(info.st_size), Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }
}
