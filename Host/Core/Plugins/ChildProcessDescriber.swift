import Foundation
import OGBasics
import OGPlugins

/// Describes a plugin that has no usable manifest by loading it in a child
/// og-host (`og-host plugins describe --child PATH`), so a library that crashes
/// or hangs while loading is refused with a reason instead of killing the host.
public enum ChildProcessDescriber {
    public static func make(executable: String) -> PluginRegistry.Describer {
        return { path in
            let output: ProcessOutput
            do {
                // Swift's backtracer makes a crashing child take ten times longer to die; the
                // parent reports the crash itself, so the backtrace buys nothing here.
                var environment = EnvironmentVariable.all()
                environment["SWIFT_BACKTRACE"] = "enable=no"
                output = try ProcessRunner.run(executable, ["plugins", "describe", "--child", path], environment: environment,
                                               timeout: .seconds(30))
            } catch {
                return .failure(.openFailed(path: path, reason: "could not start a describing process: \(error)"))
            }
            if output.timedOut { return .failure(.openFailed(path: path, reason: "hung while loading (no answer in 30 s)")) }
            if output.exitStatus == -1 {
                return .failure(.openFailed(path: path, reason: "crashed while loading"))
            }
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            if output.exitStatus == 0, let manifest = try? decoder.decode(PluginManifest.self, from: Data(output.standardOutput)) {
                return .success(manifest)
            }
            let reason = output.standardErrorText.split(separator: "\n").last.map(String.init) ?? "exit status \(output.exitStatus)"
            return .failure(.openFailed(path: path, reason: reason.replacingOccurrences(of: "\(path): ", with: "")))
        }
    }

    /// The hidden child side: load in this process and print the manifest JSON.
    public static func describeForParent(path: String) -> Int32 {
        do {
            let library = try PluginLibrary.load(path)
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            StandardStreams.write(Array(try encoder.encode(PluginManifest(library: library))), to: STDOUT_FILENO)
            return 0
        } catch let error as PluginLoadError {
            StandardStreams.error("\(error.reason)\n")
            return 1
        } catch {
            StandardStreams.error("\(error)\n")
            return 1
        }
    }
}
