import Foundation
import OGBasics
import OGPlugins

/// `og-host plugins manifest`: loads each library in a child og-host (so one
/// crashing library does not stop the others) and writes its manifest
/// beside it, the file packagers ship with the `.so`.
public enum PluginManifests {
    /// Per library, the manifest path written or why none was.
    public static func write(libraries: [String], executable: String) -> [(library: String, result: Result<String, GatewayError>)] {
        let describe = ChildProcessDescriber.make(executable: executable)
        return libraries.map { path in
            if let problem = PluginTrust.problem(with: path) {
                return (path, .failure(GatewayError.badInput("\(path): refused: \(problem)")))
            }
            switch describe(path) {
            case .success(let manifest):
                do {
                    try manifest.write(besideLibrary: path)
                    return (path, .success(PluginManifest.path(forLibrary: path)))
                } catch {
                    return (path, .failure(GatewayError("\(path): \(error)")))
                }
            case .failure(let error):
                return (path, .failure(GatewayError(error.description)))
            }
        }
    }
}

extension PluginManifest {
    /// Writes the manifest beside the library, atomically. Here rather than in OGPlugins,
    /// which reads manifests without Foundation (the start of `og-host plugins list`).
    public func write(besideLibrary library: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try LocalFiles.writeAtomically(Self.path(forLibrary: library), contents: Array(try encoder.encode(self)) + [0x0a])
    }
}
