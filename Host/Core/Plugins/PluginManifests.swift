import Foundation
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
