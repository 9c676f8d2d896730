/// Failures of the lowest layer: local files and processes.
/// Messages name the path or program and say what to do.
public enum BasicsError: Error, CustomStringConvertible, Equatable {
    case executableNotFound(String)
    case launchFailed(String, String)
    case io(path: String, operation: String, reason: String)

    public var description: String {
        switch self {
        case .executableNotFound(let name):
            return "\(name): not found on PATH; install it or give its full path"
        case .launchFailed(let name, let reason):
            return "\(name): could not be started: \(reason)"
        case .io(let path, let operation, let reason):
            return "\(path): \(operation) failed: \(reason)"
        }
    }
}
